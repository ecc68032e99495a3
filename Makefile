# The two commands a newcomer needs: `make run` and `make test`. Both set everything up first (once).
.PHONY: setup setup-test run test lint bench bench-car clean

setup:
	./tools/bootstrap.sh

# Test extras: Debian's Chromium for the browser tests, and the real DeepRacer sample models.
setup-test: setup
	./tools/bootstrap_test.sh

# The real sample model goes in beside the demo model when it can be fetched (once; offline the run goes on).
run: setup
	.venv/bin/python tools/install_sample_model.py $(ARGS)
	.venv/bin/deepracer-launch --graph launch/graph.yaml $(ARGS)

lint: setup
	.venv/bin/ruff check .

test: setup-test lint
	.venv/bin/python -m pytest $(PYTEST_ARGS)

bench: setup-test
	.venv/bin/python benchmarks/run_all.py

# The car-class profile alone (needs root: a cgroup holds the stack to the car's CPU). E.g. ARGS="--minutes 10".
bench-car: setup-test
	.venv/bin/python benchmarks/bench_car.py $(ARGS)

clean:
	rm -rf .venv .cache bench-results test-artifacts
