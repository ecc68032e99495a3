"""The sysfs PWM backend against a FAKE sysfs: a temporary folder with the same files as the car's
/sys/class/pwm/pwmchip0 and /sys/class/gpio. The real files get really written; a spy on the one write
function records the order, and plays the kernel's part by creating pwmN/ (gpioN/) when N is exported."""

from __future__ import annotations

from pathlib import Path

import pytest

from servo_pkg.backends import sysfs
from servo_pkg.backends.base import BackendError
from servo_pkg.backends.sysfs import SysfsBackend

NEUTRAL = {"steering": 1_450_000, "throttle": 1_446_000}
PERIOD = "20000000"


class FakeSysfs:
    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch, *, exported: bool = False,
                 kernel_creates: bool = True) -> None:
        self.root = root
        self.pwm = root / "class/pwm/pwmchip0"
        self.gpio = root / "class/gpio"
        for folder in (self.pwm, self.gpio):
            folder.mkdir(parents=True)
            (folder / "export").write_text("")
        if exported:
            for n in range(5):
                self._create(self.pwm / f"pwm{n}", ("period", "duty_cycle", "enable"))
            self._create(self.gpio / "gpio436", ("direction", "value"))
        self.kernel_creates = kernel_creates
        self.log: list[tuple[str, str]] = []
        real = sysfs.write_attribute

        def spy(path: Path, value: int | str, *, regular_file: bool = False) -> None:
            real(path, value, regular_file=regular_file)
            self.log.append((str(Path(path).relative_to(self.root)), str(value)))
            if Path(path).name == "export" and self.kernel_creates:
                if Path(path).parent == self.pwm:
                    self._create(self.pwm / f"pwm{value}", ("period", "duty_cycle", "enable"))
                else:
                    self._create(self.gpio / f"gpio{value}", ("direction", "value"))

        monkeypatch.setattr(sysfs, "write_attribute", spy)

    @staticmethod
    def _create(folder: Path, files: tuple[str, ...]) -> None:
        folder.mkdir()
        for name in files:
            (folder / name).write_text("0")

    def backend(self) -> SysfsBackend:
        return SysfsBackend(NEUTRAL, pwm_root=self.pwm, gpio_root=self.gpio, enable_gpio=436)

    def read(self, relative: str) -> str:
        return (self.root / relative).read_text()


P = "class/pwm/pwmchip0"
G = "class/gpio"


def test_configure_and_activate_export_set_period_neutral_enable_then_power(tmp_path, monkeypatch) -> None:
    fake = FakeSysfs(tmp_path, monkeypatch)
    backend = fake.backend()
    backend.configure()
    backend.activate()
    expected_configure = []
    for n in range(5):
        expected_configure += [(f"{P}/export", str(n)), (f"{P}/pwm{n}/period", PERIOD)]
    # "high": an output that starts high, i.e. servo power off (active low), without a glitch.
    expected_configure += [(f"{G}/export", "436"), (f"{G}/gpio436/direction", "high")]
    expected_activate = [(f"{P}/pwm1/duty_cycle", "1450000"), (f"{P}/pwm0/duty_cycle", "1446000")]
    expected_activate += [(f"{P}/pwm{n}/enable", "1") for n in range(5)]
    expected_activate += [(f"{G}/gpio436/value", "0")]  # active low: 0 powers the servos, last
    assert fake.log == expected_configure + expected_activate


def test_write_sets_duty_cycles_of_named_channels(tmp_path, monkeypatch) -> None:
    fake = FakeSysfs(tmp_path, monkeypatch, exported=True)
    with fake.backend() as backend:
        fake.log.clear()
        assert backend.write({"throttle": 1_378_500, "steering": 1_700_000, "tail_blue": 9_999_825})
        assert fake.log == [(f"{P}/pwm0/duty_cycle", "1378500"), (f"{P}/pwm1/duty_cycle", "1700000"),
                            (f"{P}/pwm4/duty_cycle", "9999825")]
        assert fake.read(f"{P}/pwm0/duty_cycle") == "1378500"
        fake.log.clear()
    # Leaving the block: neutral, tail light off, power cut, then PWM outputs off.
    expected = [(f"{P}/pwm1/duty_cycle", "1450000"), (f"{P}/pwm0/duty_cycle", "1446000")]
    expected += [(f"{P}/pwm{n}/duty_cycle", "0") for n in (2, 3, 4)]
    expected += [(f"{G}/gpio436/value", "1")] + [(f"{P}/pwm{n}/enable", "0") for n in range(5)]
    assert fake.log == expected
    assert fake.read(f"{P}/pwm0/duty_cycle") == "1446000"


def test_a_channel_is_written_only_when_its_duty_cycle_changes(tmp_path, monkeypatch) -> None:
    """The PWM chip keeps a duty cycle: a policy repeating its action frame after frame costs no writes."""
    fake = FakeSysfs(tmp_path, monkeypatch, exported=True)
    with fake.backend() as backend:
        fake.log.clear()
        assert backend.write({"throttle": 1_378_500, "steering": 1_700_000})
        assert backend.write({"throttle": 1_378_500, "steering": 1_700_000})
        assert backend.write({"throttle": 1_378_500, "steering": 1_600_000})
        assert fake.log == [(f"{P}/pwm0/duty_cycle", "1378500"), (f"{P}/pwm1/duty_cycle", "1700000"),
                            (f"{P}/pwm1/duty_cycle", "1600000")]
        fake.log.clear()
        (fake.pwm / "pwm0" / "duty_cycle").unlink()
        (fake.pwm / "pwm0" / "duty_cycle").mkdir()  # the write fails: what the file holds is unknown
        assert backend.write({"throttle": 1_400_000}) is False
        (fake.pwm / "pwm0" / "duty_cycle").rmdir()
        (fake.pwm / "pwm0" / "duty_cycle").write_text("0")
        assert backend.write({"throttle": 1_400_000})  # tried again, not taken as there
        assert fake.read(f"{P}/pwm0/duty_cycle") == "1400000"
        backend.deactivate()  # neutral written, outputs off
        fake.log.clear()
        backend.activate()  # on again: neutral written again, not taken as there
        assert fake.log[:2] == [(f"{P}/pwm1/duty_cycle", "1450000"), (f"{P}/pwm0/duty_cycle", "1446000")]


def test_channels_already_exported_are_not_exported_again(tmp_path, monkeypatch) -> None:
    fake = FakeSysfs(tmp_path, monkeypatch, exported=True)
    fake.backend().configure()
    assert not [entry for entry in fake.log if entry[0].endswith("export")]
    assert (f"{P}/pwm3/period", PERIOD) in fake.log


def test_new_neutral_is_used_when_deactivating(tmp_path, monkeypatch) -> None:
    fake = FakeSysfs(tmp_path, monkeypatch, exported=True)
    with fake.backend() as backend:
        backend.write({"throttle": 1_311_000})
        backend.set_neutral({"steering": 1_450_000, "throttle": 1_500_000})
    assert fake.read(f"{P}/pwm0/duty_cycle") == "1500000"


def test_missing_pwm_chip_fails_at_configure_saying_what_was_expected(tmp_path) -> None:
    backend = SysfsBackend(NEUTRAL, pwm_root=tmp_path / "pwmchip0", gpio_root=tmp_path / "gpio", enable_gpio=436)
    with pytest.raises(BackendError, match=f"expected {tmp_path}/pwmchip0/export"):
        backend.configure()


def test_export_that_creates_nothing_is_reported(tmp_path, monkeypatch) -> None:
    fake = FakeSysfs(tmp_path, monkeypatch, kernel_creates=False)
    with pytest.raises(BackendError, match=r"exported 0 .* but .*pwm0 did not appear"):
        fake.backend().configure()


def test_failed_duty_write_is_reported_not_raised(tmp_path, monkeypatch) -> None:
    fake = FakeSysfs(tmp_path, monkeypatch, exported=True)
    backend = fake.backend()
    backend.configure()
    backend.activate()
    (fake.pwm / "pwm0" / "duty_cycle").unlink()
    (fake.pwm / "pwm0" / "duty_cycle").mkdir()  # now unwritable
    assert backend.write({"throttle": 1_400_000}) is False
    assert "sysfs PWM write failed" in backend.problem


def test_power_off_tries_every_step_even_when_one_fails(tmp_path, monkeypatch) -> None:
    fake = FakeSysfs(tmp_path, monkeypatch, exported=True)
    backend = fake.backend()
    backend.configure()
    backend.activate()
    (fake.gpio / "gpio436" / "value").unlink()
    (fake.gpio / "gpio436" / "value").mkdir()  # the power switch cannot be written
    with pytest.raises(BackendError, match="gpio436/value"):
        backend.deactivate()
    assert [fake.read(f"{P}/pwm{n}/enable") for n in range(5)] == ["0"] * 5
    assert fake.read(f"{P}/pwm0/duty_cycle") == "1446000"


def test_the_simulators_ordinary_files_hold_exactly_the_last_value_written(tmp_path: Path) -> None:
    """The simulated output's tree is ordinary files, written over and cut to length (no truncating open, which
    cost 0.24 ms a write on ext4): a shorter value after a longer one leaves no digits of the old one behind."""
    from servo_pkg.backends.sysfs import write_attribute

    duty = tmp_path / "duty_cycle"
    for value, expected in ((20_000_000, "20000000"), (1_450_000, "1450000"), (0, "0"), (1_603_500, "1603500")):
        write_attribute(duty, value, regular_file=True)
        assert duty.read_text() == expected
