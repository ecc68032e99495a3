from setuptools import find_packages, setup

package_name = "fleet_pkg"

setup(
    name=package_name,
    version="0.1.0",
    packages=find_packages(exclude=["test"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{package_name}"]),
        (f"share/{package_name}", ["package.xml"]),
    ],
    install_requires=["setuptools"],
    zip_safe=False,
    include_package_data=True,
    description="Fleet link: the car reports itself and takes organisers' commands through an MQTT broker.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "fleet_node = fleet_pkg.fleet_node:main",
            "deepracer-fleet = fleet_pkg.cli:main",
        ],
    },
)
