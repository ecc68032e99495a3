from setuptools import find_packages, setup

package_name = "deepracer_common_pkg"

setup(
    name=package_name,
    version="0.1.0",
    packages=find_packages(exclude=["test"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{package_name}"]),
        (f"share/{package_name}", ["package.xml"]),
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    description="Shared names, QoS, parameters, node runner and launcher of the DeepRacer car stack.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "deepracer-launch = deepracer_common_pkg.launcher:main",
            "process_host = deepracer_common_pkg.process_host:main",
        ],
    },
)
