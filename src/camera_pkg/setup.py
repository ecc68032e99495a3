from setuptools import find_packages, setup

package_name = "camera_pkg"

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
    description="Camera node: policy frames (mono or stereo greyscale) and a JPEG display stream.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "camera_node = camera_pkg.camera_node:main",
        ],
    },
)
