"""Every topic and service name of the graph, in one place, so nodes, console and tests agree."""

CAMERA_FRAMES = "/camera_pkg/video_mjpeg"
# The camera's JPEG display stream, under the image_transport name for compressed images: the original name
# /camera_pkg/display_mjpeg carries sensor_msgs/Image there (ORIGINAL_CAMERA_DISPLAY, from compat_node).
CAMERA_DISPLAY = "/camera_pkg/display_mjpeg/compressed"
CAMERA_STATUS = "/camera_pkg/status"
CAMERA_MEDIA_STATE = "/camera_pkg/media_state"

LIDAR_SCAN = "/scan"

# Ours (InferenceResult); the original name /inference_pkg/rl_results carries the original InferResultsArray
# (ORIGINAL_RL_RESULTS, from compat_node), which tools such as DREM's video tool read.
INFERENCE_RESULTS = "/inference_pkg/policy_output"
INFERENCE_MODEL_STATE = "/inference_pkg/model_state"
INFERENCE_LOAD_MODEL = "/inference_pkg/load_model"
# Parameter services (rcl_interfaces) the console uses: the inference node's action rate (max_rate_hz), read and set
# as `ros2 param` does, and navigation's autonomous timeout, which a new rate must keep fed.
INFERENCE_GET_PARAMETERS = "/inference_node/get_parameters"
INFERENCE_SET_PARAMETERS = "/inference_node/set_parameters"
NAVIGATION_GET_PARAMETERS = "/navigation_node/get_parameters"

# Our own drive commands carry DriveCommand (with the capture stamp); the original topics below carry the original
# ServoCtrlMsg (angle and throttle only).
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
SERVO_PWM_WRITTEN_BATCH = "/servo_pkg/pwm_written_batch"  # the same writes, batched for the logger
SERVO_GET_CALIBRATION = "/servo_pkg/get_calibration"
SERVO_SET_CALIBRATION = "/servo_pkg/set_calibration"
SERVO_GET_LED_COLOR = "/servo_pkg/get_led_color"
SERVO_SET_LED_COLOR = "/servo_pkg/set_led_color"

SIM_POSE = "/sim_pkg/pose"
SIM_STATE = "/sim_pkg/state"
SIM_RESET = "/sim_pkg/reset"
SIM_HOLD = "/sim_pkg/hold"  # lockstep only: park simulated time (true) or let it go on (false)
# The simulated car's camera (sensor_msgs/CompressedImage, JPEG, header.stamp = the simulated time it was taken at),
# per lens: the mono camera's, and a stereo pair's left and right. Rendered only while someone reads it.
SIM_CAMERA = {"centre": "/sim_pkg/camera/centre", "left": "/sim_pkg/camera/left", "right": "/sim_pkg/camera/right"}
# The stack's clock while the simulator runs (rosgraph_msgs/Clock): ROS 2's own topic for simulated time. The
# simulator also writes it, in decimal nanoseconds, into this file of its PWM folder, for the servo node's actuation
# guard, which is no ROS node.
CLOCK = "/clock"
SIM_CLOCK_FILE = "clock"

LOGGING_STOP_LOGGING = "/logging_pkg/stop_logging"
# The logging node's own name, the community car logger's: DeepRacer Event Manager reads its `output_path` with
# `ros2 param get /logging_pkg/bag_log_node output_path` to find the bags it collects.
LOGGING_NODE_NAMESPACE = "/logging_pkg"
LOGGING_NODE_NAME = "bag_log_node"
# std_msgs/String, latched: who drives the car now as the console's event queue knows them ("" when it names
# nobody); the logging node names and splits runs by it.
CONSOLE_CURRENT_RACER = "/webserver_pkg/current_racer"

HEARTBEAT = "/deepracer/heartbeat"

# The car's own parts (system_node, system_pkg): battery, network, USB stick, SSH.
SYSTEM_BATTERY_LEVEL = "/system_pkg/battery_level"
SYSTEM_GET_NETWORK_DETAILS = "/system_pkg/get_network_details"
SYSTEM_LIST_WIFI = "/system_pkg/list_wifi"
SYSTEM_CONNECT_WIFI = "/system_pkg/connect_wifi"
SYSTEM_GET_SSH_STATE = "/system_pkg/get_ssh_state"
SYSTEM_SET_SSH_ENABLED = "/system_pkg/set_ssh_enabled"
SYSTEM_SET_SSH_PASSWORD = "/system_pkg/set_ssh_password"
# std_msgs/String, latched: the logs/ folder of the USB stick in now, "" when none (the logging node's USB target).
SYSTEM_USB_LOGS_DIR = "/system_pkg/usb_logs_dir"
# Software update from a signed package on a USB stick or from the package index (std_srvs/Trigger), and its
# progress (std_msgs/String, latched, "status:<s>|update_pct:<n>" as the original console's update stream).
SYSTEM_BEGIN_UPDATE = "/system_pkg/begin_software_update"
SYSTEM_UPDATE_STATUS = "/system_pkg/update_status"
# std_srvs/Trigger: success with message = the newer version on the package index ("" = up to date), or failure
# with message = why that is not known.
SYSTEM_UPDATE_AVAILABLE = "/system_pkg/is_software_update_available"
SYSTEM_SET_TIMEZONE = "/system_pkg/set_timezone"

# The original car's interface, served by compat_node (compat_pkg) for outside tools: DeepRacer Event Manager and
# the AWS sample applications. Types are the original ones in deepracer_interfaces_pkg.
ORIGINAL_VEHICLE_STATE = "/ctrl_pkg/vehicle_state"
ORIGINAL_ENABLE_STATE = "/ctrl_pkg/enable_state"
ORIGINAL_GET_CTRL_MODES = "/ctrl_pkg/get_ctrl_modes"
ORIGINAL_GET_CAR_CAL = "/ctrl_pkg/get_car_cal"
ORIGINAL_SET_CAR_CAL = "/ctrl_pkg/set_car_cal"
ORIGINAL_MODEL_STATE = "/ctrl_pkg/model_state"
ORIGINAL_IS_MODEL_LOADING = "/ctrl_pkg/is_model_loading"
ORIGINAL_AUTONOMOUS_THROTTLE = "/ctrl_pkg/autonomous_throttle"
ORIGINAL_SET_LED_STATE = "/servo_pkg/set_led_state"
ORIGINAL_GET_LED_STATE = "/servo_pkg/get_led_state"
ORIGINAL_RL_RESULTS = "/inference_pkg/rl_results"
ORIGINAL_CAMERA_DISPLAY = "/camera_pkg/display_mjpeg"
# An outside mode's drive commands (the original ServoCtrlMsg, best effort): navigation takes them in the external
# mode only. The original ctrl_pkg's autonomous-mode input:
ORIGINAL_AUTO_DRIVE = "/deepracer_navigation_pkg/auto_drive"
# The original servo node's input, which teleop tools publish to directly: here the same external-mode input.
ORIGINAL_SERVO_MSG = "/ctrl_pkg/servo_msg"
# The AWS sample applications' own topics, which their modified ctrl_pkg listened to in their mode 3: the namespace
# of each app's navigation node in its launch file + the topic in its constants.py (aws-deepracer-follow-the-leader-
# sample-project: ftl_navigation_pkg, "ftl_drive"; aws-deepracer-offroad-sample-project:
# deepracer_offroad_navigation_pkg, "offroad_drive").
FOLLOW_THE_LEADER_DRIVE = "/ftl_navigation_pkg/ftl_drive"
OFFROAD_DRIVE = "/deepracer_offroad_navigation_pkg/offroad_drive"
EXTERNAL_DRIVE_TOPICS = (ORIGINAL_AUTO_DRIVE, ORIGINAL_SERVO_MSG, FOLLOW_THE_LEADER_DRIVE, OFFROAD_DRIVE)


def telemetry_topic(stage: str) -> str:
    """Each stage (camera, inference, navigation, servo) publishes StageStats here."""
    return f"/{stage}_pkg/telemetry"
