"""How many channels a Pololu Maestro has (the Mini Maestro 24: channels 0..23, Pololu's Maestro user's guide).

Its own module, free of pyserial, so the servo node's config can check `serial_channels` without importing
the serial backend.
"""

MAX_CHANNEL = 23
