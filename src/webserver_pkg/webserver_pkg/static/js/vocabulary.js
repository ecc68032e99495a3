// Drive-mode and sensor names as the car reports them, with the words the pages show for them. The browser's
// copy of deepracer_common_pkg/vocabulary.py: tests/common/test_vocabulary.py checks that the two agree.
export const MANUAL = "manual";
export const AUTONOMOUS = "autonomous";
export const CALIBRATION = "calibration";
export const EXTERNAL = "external";

export const MODE_LABELS = {
  [MANUAL]: "Manual",
  [AUTONOMOUS]: "Autonomous",
  [CALIBRATION]: "Calibration",
  [EXTERNAL]: "Outside application",
};

export const SENSOR_LABELS = {
  FRONT_FACING_CAMERA: "Camera",
  STEREO_CAMERAS: "Stereo cameras",
  LEFT_CAMERA: "Left camera",
  observation: "Camera (old model)",
  LIDAR: "LiDAR",
  SECTOR_LIDAR: "Sector LiDAR",
};
