"""The car's CPU held at its full speed while the stack runs, and put back as it was when it stops.

Why: the car-class profile (bench_car.py, issue 23) takes the car's share of this machine from a benchmark that keeps
the CPU busy, so at its highest clock. The stack's load is not like that: a frame's work, then a wait for the next
one, 30 times a second, which the usual frequency governors (powersave under intel_pstate, ondemand, schedutil)
answer by lowering the clock between frames and raising it only after the work has begun, so the same frame takes
longer than the profile measured and the actuation path waits for the ramp. The community car's service does the
same at its start (deepracer-custom-car, build_scripts/files/common/deepracer-core.service: governor `performance`,
minimum frequency at the maximum) and writes `powersave` back at its stop; here each CPU gets back what it had.

Run by deepracer-core.service (tools/car/deepracer-core.service.in) before the stack starts (`hold`) and after it
stopped, crashed or not (`release`). What each CPU had is kept under /run, which a reboot empties, as it empties
the settings themselves: a second `hold` (the unit restarting after a crash) keeps the first one's record.
A CPU without frequency control (a VM, some boards) is left alone and said so; nothing here stops the stack.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from deepracer_common_pkg.small_files import atomic_write_json, read_json

CPU_ROOT = Path("/sys/devices/system/cpu")
STATE_FILE = Path("/run/deepracer-stack/cpu-speed.json")
FULL_SPEED_GOVERNOR = "performance"


@dataclass(frozen=True)
class CpuSetting:
    """What one CPU's frequency control held (cpufreq's own file contents: a governor name, kHz)."""

    cpu: str
    governor: str
    min_khz: str


def _cpufreq_dirs(cpu_root: Path) -> list[Path]:
    cpus = [path for path in cpu_root.glob("cpu[0-9]*") if path.name[3:].isdigit()]
    return [cpu / "cpufreq" for cpu in sorted(cpus, key=lambda path: int(path.name[3:]))
            if (cpu / "cpufreq" / "scaling_governor").is_file()]


def _read(path: Path) -> str:
    return path.read_text().strip()


def _write(path: Path, value: str) -> None:
    path.write_text(value)


def hold(cpu_root: Path = CPU_ROOT, state_file: Path = STATE_FILE) -> list[str]:
    """Every CPU to the `performance` governor and its minimum frequency to its maximum; what each had is recorded
    first (unless a record is already there). Returns what was done, a line per CPU, in plain words."""
    dirs = _cpufreq_dirs(cpu_root)
    if not dirs:
        return [f"no CPU frequency control under {cpu_root}: the CPU runs as the system sets it"]
    if not state_file.exists():
        settings = [CpuSetting(d.parent.name, _read(d / "scaling_governor"), _read(d / "scaling_min_freq"))
                    for d in dirs]
        # Whole or absent: release never restores half a machine.
        atomic_write_json(state_file, [asdict(setting) for setting in settings])
    said = []
    for d in dirs:
        cpu = d.parent.name
        try:
            offered = d / "scaling_available_governors"
            if not offered.is_file() or FULL_SPEED_GOVERNOR in _read(offered).split():
                _write(d / "scaling_governor", FULL_SPEED_GOVERNOR)
            top = _read(d / "scaling_max_freq")
            _write(d / "scaling_min_freq", top)
        except OSError as error:
            said.append(f"{cpu}: not at full speed, its frequency control refused the change ({error.strerror}: "
                        "run as root, as the unit does)")
            continue
        governor = _read(d / "scaling_governor")
        note = "" if governor == FULL_SPEED_GOVERNOR else \
            f" (this CPU offers no '{FULL_SPEED_GOVERNOR}' governor: it keeps {governor})"
        said.append(f"{cpu}: governor {governor}, at least {int(top) // 1000} MHz{note}")
    return said


def release(cpu_root: Path = CPU_ROOT, state_file: Path = STATE_FILE) -> list[str]:
    """Each recorded CPU back to its governor and minimum frequency, then the record goes."""
    if not state_file.exists():
        return ["nothing to put back: no CPU speed was held"]
    try:
        settings = [CpuSetting(**item) for item in read_json(state_file)]
    except (ValueError, TypeError) as error:
        state_file.unlink()
        return [f"the record of the CPUs' earlier settings ({state_file}) was unreadable ({error}) and is removed; "
                "they keep full speed until the next reboot"]
    said = []
    for setting in settings:
        d = cpu_root / setting.cpu / "cpufreq"
        try:
            _write(d / "scaling_governor", setting.governor)
            _write(d / "scaling_min_freq", setting.min_khz)
        except OSError as error:
            said.append(f"{setting.cpu}: could not be put back ({error.strerror})")
            continue
        said.append(f"{setting.cpu}: governor {setting.governor}, at least {int(setting.min_khz) // 1000} MHz again")
    state_file.unlink()
    return said


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deepracer-cpu-speed", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("hold", "release"))
    parser.add_argument("--cpu-root", type=Path, default=CPU_ROOT, help=argparse.SUPPRESS)  # tests: a fake tree
    parser.add_argument("--state-file", type=Path, default=STATE_FILE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    act = hold if args.action == "hold" else release
    try:
        lines = act(args.cpu_root, args.state_file)
    except OSError as error:  # the record cannot be written or read (no /run, no rights): the stack still starts
        lines = [f"CPU speed not {'held' if args.action == 'hold' else 'put back'}: {error.strerror} "
                 f"({error.filename})"]
    for line in lines:
        print(f"cpu speed: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
