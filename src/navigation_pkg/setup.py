from setuptools import find_packages, setup

package_name = "navigation_pkg"

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
    description="Navigation node: action space to steering and throttle, drive modes and the safety rules.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "navigation_node = navigation_pkg.navigation_node:main",
        ],
    },
)
