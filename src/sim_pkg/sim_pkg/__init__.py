"""Closed-loop simulator: a simulated DeepRacer on a real DeepRacer track, driven by what reached its PWM outputs.

The core modules (tracks, actuation, vehicle, race, simulation, camera_view, pwm_files) are plain Python and
numpy; only sim_node imports rclpy.
"""
