"""How many channels each servo controller has, in a module free of hardware libraries, so the servo node's config
can check `serial_channels` and `i2c_channels` without importing a backend (or pyserial, or smbus2).

Pololu Mini Maestro 24: channels 0..23 (Pololu's Maestro user's guide). PCA9685: 16 outputs, 0..15 (NXP datasheet).
"""

MAESTRO_MAX_CHANNEL = 23
PCA9685_MAX_CHANNEL = 15
