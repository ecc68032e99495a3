from setuptools import find_packages, setup

package_name = "webserver_pkg"

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
    package_data={package_name: ["openapi.yaml", "templates/*.html", "templates/**/*", "static/**/*"]},
    description="Device console: the Flask web app served by the car, in a ROS node.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "webserver_node = webserver_pkg.webserver_node:main",
        ],
    },
)
