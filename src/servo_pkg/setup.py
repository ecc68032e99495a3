from setuptools import find_packages, setup

package_name = "servo_pkg"

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
    description="Servo node: calibrated PWM for steering servo, ESC and tail light on real hardware backends.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "servo_node = servo_pkg.servo_node:main",
        ],
    },
)
