from setuptools import find_packages, setup

package_name = "logging_pkg"

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
    description="Logging node: records each autonomous run as a ROS 2 bag (MCAP) that event tools collect.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "logging_node = logging_pkg.logging_node:main",
        ],
    },
)
