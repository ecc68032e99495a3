"""Every topic and service name of the graph, in one place, so nodes, console and tests agree."""

CAMERA_FRAMES = "/camera_pkg/video_mjpeg"
CAMERA_DISPLAY = "/camera_pkg/display_mjpeg"
CAMERA_STATUS = "/camera_pkg/status"
CAMERA_MEDIA_STATE = "/camera_pkg/media_state"

LIDAR_SCAN = "/scan"

INFERENCE_RESULTS = "/inference_pkg/rl_results"
INFERENCE_MODEL_STATE = "/inference_pkg/model_state"
INFERENCE_LOAD_MODEL = "/inference_pkg/load_model"

MANUAL_DRIVE = "/webserver_pkg/manual_drive"

NAVIGATION_SERVO_CMD = "/navigation_pkg/servo_cmd"
NAVIGATION_STATE = "/navigation_pkg/state"
NAVIGATION_SET_DRIVE_MODE = "/navigation_pkg/set_drive_mode"
NAVIGATION_START_STOP = "/navigation_pkg/start_stop"
NAVIGATION_SET_MAX_SPEED = "/navigation_pkg/set_max_speed"
NAVIGATION_EMERGENCY_STOP = "/navigation_pkg/emergency_stop"
NAVIGATION_RESET_EMERGENCY_STOP = "/navigation_pkg/reset_emergency_stop"

SERVO_RAW_PWM = "/servo_pkg/raw_pwm"
SERVO_PWM_WRITTEN = "/servo_pkg/pwm_written"
SERVO_GET_CALIBRATION = "/servo_pkg/get_calibration"
SERVO_SET_CALIBRATION = "/servo_pkg/set_calibration"
SERVO_GET_LED_COLOR = "/servo_pkg/get_led_color"
SERVO_SET_LED_COLOR = "/servo_pkg/set_led_color"

SIM_POSE = "/sim_pkg/pose"
SIM_STATE = "/sim_pkg/state"
SIM_RESET = "/sim_pkg/reset"

LOGGING_STOP_LOGGING = "/logging_pkg/stop_logging"

HEARTBEAT = "/deepracer/heartbeat"


def telemetry_topic(stage: str) -> str:
    """Each stage (camera, inference, navigation, servo) publishes StageStats here."""
    return f"/{stage}_pkg/telemetry"
