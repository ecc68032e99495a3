"""deepracer-eval: a model driven round a simulated track by the car stack, in simulated time."""
