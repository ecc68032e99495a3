"""The original DeepRacer car's ROS interface, served on top of this stack (compat_node)."""
