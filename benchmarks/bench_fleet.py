"""Fleet link at event scale: 100 simulated cars (the real fleet agent and MQTT link over in-memory drive state,
no ROS) on one Mosquitto started from the sample configuration, on loopback. Prints a table and writes
bench-results/fleet.json.

Run: .venv/bin/python benchmarks/bench_fleet.py [--cars 100] [--processes 4] [--rounds 20] [--window 20]

Measured:
  estop --all -> last car's answer: an organiser client sends one emergency stop to deepracer/all/cmd and waits
      for every car's reply (then a reset), `--rounds` times: p50/p99 of the last answer, and of every answer;
  the CLI itself: `deepracer-fleet estop --all` as a process, wall time to exit and its CPU time;
  status messages per second at the broker's subscriber while the cars idle (period 5 s, the node's default);
  CPU of the broker, the organiser client's process and the simulated cars, during the estop rounds and idle.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from fleet.broker import ORGANISER, Broker  # noqa: E402

from fleet_pkg.organiser import FleetClient  # noqa: E402
from fleet_pkg.settings import FleetSettings  # noqa: E402
from support.rosgraph import wait_for  # noqa: E402

RESULT_PATH = REPO / "bench-results" / "fleet.json"
CLI = Path(sys.executable).with_name("deepracer-fleet")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class CpuMeter:
    """CPU seconds of a set of processes between start() and stop(), as % of one core."""

    def __init__(self, processes: list[psutil.Process]) -> None:
        self._processes = processes

    def _total(self) -> float:
        total = 0.0
        for process in self._processes:
            times = process.cpu_times()
            total += times.user + times.system
        return total

    def start(self) -> None:
        self._cpu, self._wall = self._total(), time.monotonic()

    def stop(self) -> float:
        return 100.0 * (self._total() - self._cpu) / (time.monotonic() - self._wall)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cars", type=int, default=100)
    parser.add_argument("--processes", type=int, default=4, help="processes the simulated cars are spread over")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--window", type=float, default=20.0, help="seconds of idle status traffic measured")
    args = parser.parse_args()
    names = [f"car{n}" for n in range(1, args.cars + 1)]
    broker = Broker(names)
    per_process = -(-args.cars // args.processes)
    sims = []
    for first in range(1, args.cars + 1, per_process):
        count = min(per_process, args.cars + 1 - first)
        sims.append(subprocess.Popen(
            [sys.executable, "-m", "fleet_pkg.simulated_car", "--broker", broker.address, "--cars", str(count),
             "--first", str(first), "--password-suffix=-secret"], stdout=subprocess.DEVNULL))
    organiser = FleetClient(FleetSettings("127.0.0.1", broker.port, username=ORGANISER[0], password=ORGANISER[1]))
    statuses = {"count": 0}
    lock = threading.Lock()

    def on_status(_car: str, _status: dict) -> None:
        with lock:
            statuses["count"] += 1

    organiser.on_status = on_status
    try:
        wait_for(lambda: len(organiser.online_cars() & set(names)) == args.cars, 120,
                 f"{args.cars} simulated cars online")
        broker_process = psutil.Process(broker.process.pid)
        sim_processes = [psutil.Process(p.pid) for p in sims]
        me = psutil.Process()
        meters = {"broker": CpuMeter([broker_process]), "organiser": CpuMeter([me]),
                  "cars": CpuMeter(sim_processes)}

        # Idle: status traffic only.
        for meter in meters.values():
            meter.start()
        with lock:
            before = statuses["count"]
        started = time.monotonic()
        wait_for(lambda: time.monotonic() - started >= args.window, args.window + 5, "the idle window")
        with lock:
            idle_rate = (statuses["count"] - before) / (time.monotonic() - started)
        idle_cpu = {name: meter.stop() for name, meter in meters.items()}

        # Emergency stop rounds.
        last_answers, every_answer = [], []
        for meter in meters.values():
            meter.start()
        rounds_started = time.monotonic()
        for _ in range(args.rounds):
            outcome = organiser.wait(organiser.send("estop"), 30, everyone=True)
            if outcome.missing or not all(r.ok for r in outcome.replies.values()):
                raise SystemExit(f"estop round: {len(outcome.missing)} cars did not answer")
            last_answers.append(max(outcome.reply_times.values()) * 1000)
            every_answer.extend(t * 1000 for t in outcome.reply_times.values())
            organiser.wait(organiser.send("reset_estop"), 30, everyone=True)
        estop_cpu = {name: meter.stop() for name, meter in meters.items()}
        rounds_s = time.monotonic() - rounds_started
        # What one command costs one simulated car (parse, queue, act, answer, new status): on this machine all the
        # cars share its cores, so a burst for 100 of them takes about 100 x this / cores; a real car has its own.
        car_cpu_ms = estop_cpu["cars"] / 100 * rounds_s * 1000 / (2 * args.rounds * args.cars)

        # The CLI as organisers run it: a process that connects, sends, gathers, prints, exits.
        cli_wall, cli_cpu = [], []
        env = {**os.environ, "DEEPRACER_FLEET_PASSWORD": ORGANISER[1]}
        for _ in range(5):
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.monotonic()
            result = subprocess.run([str(CLI), "--broker", broker.address, "--username", ORGANISER[0], "estop",
                                     "--all"], capture_output=True, text=True, env=env, timeout=60)
            cli_wall.append((time.monotonic() - start) * 1000)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cli_cpu.append((after.ru_utime - usage.ru_utime + after.ru_stime - usage.ru_stime) * 1000)
            if result.returncode != 0:
                raise SystemExit(f"deepracer-fleet estop --all failed:\n{result.stdout}\n{result.stderr}")
            organiser.wait(organiser.send("reset_estop"), 30, everyone=True)
    finally:
        organiser.close()
        for sim in sims:
            sim.terminate()
        for sim in sims:
            sim.wait(30)
        broker.stop()

    results = {
        "cars": args.cars, "processes": args.processes, "rounds": args.rounds,
        "estop_last_answer_ms": {"p50": percentile(last_answers, 50), "p99": percentile(last_answers, 99),
                                 "max": max(last_answers)},
        "estop_every_answer_ms": {"p50": percentile(every_answer, 50), "p99": percentile(every_answer, 99)},
        "cli_estop_all": {"wall_ms_median": statistics.median(cli_wall), "cpu_ms_median": statistics.median(cli_cpu)},
        "idle_status_msgs_per_s": idle_rate, "car_cpu_ms_per_command": car_cpu_ms,
        "cpu_percent_idle": idle_cpu, "cpu_percent_estop_rounds": estop_cpu,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    RESULT_PATH.parent.mkdir(exist_ok=True)
    RESULT_PATH.write_text(json.dumps(results, indent=2))
    e, a = results["estop_last_answer_ms"], results["estop_every_answer_ms"]
    print(f"{args.cars} simulated cars in {args.processes} processes, one Mosquitto, loopback\n")
    print("| measure | value |\n|---|---|")
    print(f"| estop --all -> last car's answer, p50 / p99 / max ({args.rounds} rounds) | "
          f"{e['p50']:.1f} / {e['p99']:.1f} / {e['max']:.1f} ms |")
    print(f"| every car's answer, p50 / p99 | {a['p50']:.1f} / {a['p99']:.1f} ms |")
    print(f"| `deepracer-fleet estop --all` process: wall to exit / CPU (median of 5) | "
          f"{results['cli_estop_all']['wall_ms_median']:.0f} / {results['cli_estop_all']['cpu_ms_median']:.0f} ms |")
    print(f"| CPU time one simulated car spends on one command (estop or reset, with its answer and status) | "
          f"{car_cpu_ms:.2f} ms |")
    print(f"| status messages per second (idle, 5 s period) | {idle_rate:.1f} |")
    for label, cpu in (("idle", idle_cpu), ("estop rounds", estop_cpu)):
        print(f"| CPU % of one core, {label}: broker / organiser client / all {args.cars} cars | "
              f"{cpu['broker']:.1f} / {cpu['organiser']:.1f} / {cpu['cars']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
