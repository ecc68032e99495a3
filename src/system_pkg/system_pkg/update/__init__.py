"""Software updates: signed packages from a USB stick, newer versions from a package index, and the switch-over.

The two answers below say that the car cannot look for a new version: word for word, so the console can tell them
from a check that failed and word them for a racer (webserver_pkg.robot.system_bridge).
"""

UPDATES_OFF = ("software update is off on this car (parameters install_root, and update_public_key for USB sticks "
               "or update_index_url for a package index)")
USB_ONLY = ("this car has no package index to look for a new version on (parameter update_index_url): it updates "
            "from a USB stick only")
