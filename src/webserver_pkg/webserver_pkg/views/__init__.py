"""The console's HTTP surface: one Flask blueprint per area, thin over the services and the robot bridge."""
