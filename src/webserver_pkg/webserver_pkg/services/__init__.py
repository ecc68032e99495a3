"""What the views use besides the robot: sessions, credentials, the frame hub, device figures, logs, TLS, uploads."""
