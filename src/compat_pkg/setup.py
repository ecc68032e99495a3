from setuptools import find_packages, setup

package_name = "compat_pkg"

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
    description="The original DeepRacer ROS interface mapped onto this stack.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "compat_node = compat_pkg.compat_node:main",
        ],
    },
)
