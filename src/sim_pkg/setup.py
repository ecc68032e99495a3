from setuptools import find_packages, setup

package_name = "sim_pkg"

setup(
    name=package_name,
    version="0.1.0",
    packages=find_packages(exclude=["test"]),
    package_data={package_name: ["tracks/*.csv"]},
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{package_name}"]),
        (f"share/{package_name}", ["package.xml"]),
    ],
    install_requires=["setuptools"],
    zip_safe=False,
    include_package_data=True,
    description="Closed-loop simulator: a simulated DeepRacer driven by the duty cycles the servo node wrote.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "sim_node = sim_pkg.sim_node:main",
            "deepracer-eval = sim_pkg.evaluation.cli:main",
        ],
    },
)
