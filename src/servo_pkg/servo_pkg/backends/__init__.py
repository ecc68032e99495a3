"""PWM outputs behind one contract (base.py): simulated, sysfs (the DeepRacer), maestro (USB serial);
factory.make_backend picks one from the node config."""
