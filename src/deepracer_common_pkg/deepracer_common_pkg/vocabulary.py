"""The words every package and the console share for drive modes and model sensors.

Nodes, the console and the tests import these instead of writing the strings, so a new mode or sensor is
added once. The browser cannot import Python: `webserver_pkg/static/js/vocabulary.js` holds the same
drive modes, and `tests/common/test_vocabulary.py` checks that the two agree; pages show sensors in the words
the console's answers give (SENSOR_WORDS).
"""

from __future__ import annotations

MANUAL = "manual"
AUTONOMOUS = "autonomous"
CALIBRATION = "calibration"
# An outside application drives (an AWS sample app, through the original /deepracer_navigation_pkg/auto_drive).
EXTERNAL = "external"
DRIVE_MODES = (MANUAL, AUTONOMOUS, CALIBRATION, EXTERNAL)

# Sensor names as model_metadata.json writes them (the original car's model package format; a file
# without `sensor` means ["observation"], an old mono camera model).
FRONT_FACING_CAMERA = "FRONT_FACING_CAMERA"
STEREO_CAMERAS = "STEREO_CAMERAS"
LEFT_CAMERA = "LEFT_CAMERA"
OBSERVATION = "observation"
LIDAR = "LIDAR"
SECTOR_LIDAR = "SECTOR_LIDAR"
CAMERA_SENSORS = (FRONT_FACING_CAMERA, STEREO_CAMERAS, LEFT_CAMERA, OBSERVATION)
LIDAR_SENSORS = (LIDAR, SECTOR_LIDAR)
SENSORS = CAMERA_SENSORS + LIDAR_SENSORS
# The words the original console showed for each sensor (its webserver's constants.py); the console's model lists
# give them, as the original's did, and the pages show them.
SENSOR_WORDS = {FRONT_FACING_CAMERA: "Front-facing camera", STEREO_CAMERAS: "Stereo camera", LEFT_CAMERA: "Left camera",
                OBSERVATION: "Camera", LIDAR: "LiDAR", SECTOR_LIDAR: "LiDAR"}
