"""The CPU held at full speed while the stack runs and put back after (system_pkg.cpu_speed). A temporary tree stands
in for /sys/devices/system/cpu: this VM has no CPU frequency control, and writing the real one needs a car."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from system_pkg import cpu_speed


def make_cpu(root: Path, name: str, governor: str = "powersave", min_khz: int = 800000, max_khz: int = 1800000,
             offered: str = "performance powersave") -> Path:
    cpufreq = root / name / "cpufreq"
    cpufreq.mkdir(parents=True)
    for file, value in (("scaling_governor", governor), ("scaling_min_freq", min_khz), ("scaling_max_freq", max_khz),
                        ("scaling_available_governors", offered)):
        (cpufreq / file).write_text(f"{value}\n")
    return cpufreq


def setting(cpufreq: Path) -> tuple[str, str]:
    return (cpufreq / "scaling_governor").read_text().strip(), (cpufreq / "scaling_min_freq").read_text().strip()


@pytest.fixture
def cpus(tmp_path) -> tuple[Path, list[Path]]:
    root = tmp_path / "cpu"
    made = [make_cpu(root, "cpu0"), make_cpu(root, "cpu1", governor="ondemand", min_khz=1000000)]
    (root / "cpufreq").mkdir()  # siblings of the cpuN folders that are not CPUs
    (root / "cpuidle").mkdir()
    return root, made


def test_hold_sets_full_speed_and_release_puts_back_what_each_cpu_had(cpus, tmp_path):
    root, (cpu0, cpu1) = cpus
    state = tmp_path / "run" / "cpu-speed.json"
    said = cpu_speed.hold(root, state)
    assert setting(cpu0) == setting(cpu1) == ("performance", "1800000")
    assert said == ["cpu0: governor performance, at least 1800 MHz", "cpu1: governor performance, at least 1800 MHz"]

    said = cpu_speed.release(root, state)
    assert setting(cpu0) == ("powersave", "800000") and setting(cpu1) == ("ondemand", "1000000")
    assert "cpu1: governor ondemand, at least 1000 MHz again" in said
    assert not state.exists()
    assert cpu_speed.release(root, state) == ["nothing to put back: no CPU speed was held"]


def test_a_second_hold_keeps_the_first_record_so_a_restart_after_a_crash_still_restores_the_original(cpus, tmp_path):
    root, (cpu0, _) = cpus
    state = tmp_path / "cpu-speed.json"
    cpu_speed.hold(root, state)
    cpu_speed.hold(root, state)  # the unit restarting: the CPUs are at full speed already
    cpu_speed.release(root, state)
    assert setting(cpu0) == ("powersave", "800000")


def test_a_cpu_without_the_performance_governor_keeps_its_own_and_still_gets_its_top_speed_as_minimum(tmp_path):
    cpu = make_cpu(tmp_path / "cpu", "cpu0", governor="schedutil", offered="schedutil")
    said = cpu_speed.hold(tmp_path / "cpu", tmp_path / "state.json")
    assert setting(cpu) == ("schedutil", "1800000")
    assert said == ["cpu0: governor schedutil, at least 1800 MHz (this CPU offers no 'performance' governor: "
                    "it keeps schedutil)"]


def test_no_frequency_control_is_said_and_nothing_is_recorded(tmp_path):
    (tmp_path / "cpu" / "cpu0").mkdir(parents=True)  # this VM: CPUs without a cpufreq folder
    state = tmp_path / "state.json"
    assert cpu_speed.hold(tmp_path / "cpu", state) == [
        f"no CPU frequency control under {tmp_path / 'cpu'}: the CPU runs as the system sets it"]
    assert not state.exists()


def test_an_unreadable_record_is_removed_and_said_instead_of_failing_the_stop(cpus, tmp_path):
    root, _ = cpus
    state = tmp_path / "state.json"
    state.write_text("{not json")
    said = cpu_speed.release(root, state)
    assert "unreadable" in said[0] and "next reboot" in said[0]
    assert not state.exists()


def test_the_command_line_says_what_it_did_and_never_fails_the_unit(cpus, tmp_path):
    """As deepracer-core.service runs it, before the stack starts and after it stopped."""
    root, (cpu0, _) = cpus
    state = tmp_path / "run" / "cpu-speed.json"
    args = ["--cpu-root", str(root), "--state-file", str(state)]
    held = subprocess.run([sys.executable, "-m", "system_pkg.cpu_speed", "hold", *args], capture_output=True,
                          text=True, timeout=60)
    assert held.returncode == 0, held.stderr
    assert "cpu speed: cpu0: governor performance, at least 1800 MHz" in held.stdout
    assert json.loads(state.read_text())[0] == {"cpu": "cpu0", "governor": "powersave", "min_khz": "800000"}
    released = subprocess.run([sys.executable, "-m", "system_pkg.cpu_speed", "release", *args], capture_output=True,
                              text=True, timeout=60)
    assert released.returncode == 0 and "cpu0: governor powersave, at least 800 MHz again" in released.stdout
    assert setting(cpu0) == ("powersave", "800000")

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")  # the record cannot be written: the stack must start anyway
    refused = subprocess.run([sys.executable, "-m", "system_pkg.cpu_speed", "hold", "--cpu-root", str(root),
                              "--state-file", str(blocked / "cpu-speed.json")], capture_output=True, text=True,
                             timeout=60)
    assert refused.returncode == 0 and "CPU speed not held" in refused.stdout
    assert setting(cpu0) == ("powersave", "800000"), "nothing changed without a record to put it back from"



def test_a_refused_change_is_said_per_cpu_and_the_rest_still_go_to_full_speed(cpus, tmp_path, monkeypatch):
    """Without root, cpufreq refuses the write; the tests run as root, so the refusal is staged at the write."""
    root, (cpu0, cpu1) = cpus
    write = cpu_speed._write

    def refusing(path: Path, value: str) -> None:
        if path.parent == cpu0:
            raise PermissionError(13, "Permission denied", str(path))
        write(path, value)

    monkeypatch.setattr(cpu_speed, "_write", refusing)
    said = cpu_speed.hold(root, tmp_path / "state.json")
    assert said[0] == ("cpu0: not at full speed, its frequency control refused the change (Permission denied: "
                       "run as root, as the unit does)")
    assert setting(cpu0) == ("powersave", "800000") and setting(cpu1) == ("performance", "1800000")
