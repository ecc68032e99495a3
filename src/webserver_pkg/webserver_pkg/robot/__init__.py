"""The console's side of the robot: the bridge contract, its ROS implementation and the in-process double."""
