"""Fleet link: each car connects out to an MQTT broker on the event network, reports itself and takes commands.

Layers: `settings` (fleet.txt), `protocol` (topics, command and reply formats), `agent` (the car's command
handling and status, ROS-free), `mqtt_link` (the paho client), `model_fetch` / `log_upload` (HTTP on the
event network), `fleet_node` (the thin rclpy shell), `cli` (the organisers' `deepracer-fleet`).
"""
