"""`make bench`: every benchmark in turn, each in its own process; results in bench-results/*.json."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("bench_camera.py", "bench_inference.py", "bench_sim.py", "bench_pipeline.py", "bench_logging.py",
              "bench_fleet.py", "bench_car.py")


def main() -> int:
    failed = []
    for name in BENCHMARKS:
        print(f"\n== {name}", flush=True)
        if subprocess.run([sys.executable, str(HERE / name)], check=False).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
