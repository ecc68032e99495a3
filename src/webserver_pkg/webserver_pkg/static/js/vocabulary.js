// Drive-mode names as the car reports them, with the words the pages show for them. The browser's copy of
// deepracer_common_pkg/vocabulary.py: tests/common/test_vocabulary.py checks that the two agree. (Sensors come
// in words already: the console's model lists give the original console's words.)
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
