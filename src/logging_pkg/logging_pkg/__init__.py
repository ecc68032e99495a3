"""Driving logs: each autonomous run recorded as a ROS 2 bag (MCAP) in the folders event tools collect."""
