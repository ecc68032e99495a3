"""USB sticks: a temporary folder is the mount root and a stick is "inserted" (a folder appears) and "removed"
(it goes) while the watcher polls; mount points cannot be made here, so require_mount_point is off. Models are
real generated packages installed through inference_pkg.model_package."""

from __future__ import annotations

import shutil
import tarfile

import pytest

from inference_pkg import demo_model, model_package
from system_pkg.network.base import ConnectResult
from system_pkg.usb.stick_watcher import StickWatcher
from system_pkg.usb.wifi_creds import WifiCreds, WifiCredsError, parse_wifi_creds


def test_wifi_creds_quotes_comments_and_key_case():
    text = "\ufeff# join the track network\nSSID: 'Track: Hall B'\n  Password : \"p#ss:word\"\n"
    assert parse_wifi_creds(text) == WifiCreds("Track: Hall B", "p#ss:word")
    assert parse_wifi_creds("ssid: Cafe\n") == WifiCreds("Cafe", "")


@pytest.mark.parametrize(("text", "says"), [("password: x\n", "no ssid"), ("ssid 'x'\n", "line 1 is not"),
                                            ("# only a comment\n", "no ssid")])
def test_wifi_creds_errors_say_what_to_fix(text, says):
    with pytest.raises(WifiCredsError, match=says):
        parse_wifi_creds(text)


class Joiner:
    def __init__(self, answer: ConnectResult) -> None:
        self.answer = answer
        self.calls: list[tuple[str, str]] = []

    def __call__(self, ssid: str, password: str) -> ConnectResult:
        self.calls.append((ssid, password))
        return self.answer


@pytest.fixture(scope="module")
def write_model(tmp_path_factory):
    """write_model(folder): a generated model package there (generated once, then copied: generating is slow)."""
    original = tmp_path_factory.mktemp("usb-model") / "original"
    demo_model.write_package(original)

    def write(folder):
        shutil.copytree(original, folder)

    return write


@pytest.fixture
def media(tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    return root


def _watcher(media, models_root, joiner, **kwargs) -> StickWatcher:
    return StickWatcher(media, models_root=models_root, join_wifi=joiner, network_name=lambda: "Track",
                        require_mount_point=False, **kwargs)


def test_a_stick_with_wifi_creds_joins_once_per_insertion_and_writes_device_status(media, tmp_path):
    joiner = Joiner(ConnectResult(True, ip_address="192.168.4.7"))
    watcher = _watcher(media, tmp_path / "models", joiner)
    assert watcher.poll() == []
    stick = media / "STICK"
    stick.mkdir()
    (stick / "wifi-creds.txt").write_text("ssid: 'Track'\npassword: race-day-2026\n")
    [report] = watcher.poll()
    assert joiner.calls == [("Track", "race-day-2026")] and report.wifi.success
    status = (stick / "device-status.txt").read_text()
    assert "network: Track" in status and "connected: yes" in status and "hostname: " in status
    assert watcher.poll() == []  # still in: not handled again
    shutil.rmtree(stick)  # removed
    assert watcher.poll() == []
    stick.mkdir()  # inserted again
    (stick / "wifi-creds.txt").write_text("ssid: Track\n")
    assert len(watcher.poll()) == 1 and len(joiner.calls) == 2


def test_a_failed_join_is_written_back_with_the_reason(media, tmp_path):
    joiner = Joiner(ConnectResult(False, "could not join 'Track': the password was refused; back on 'Home'"))
    watcher = _watcher(media, tmp_path / "models", joiner)
    (media / "S").mkdir()
    (media / "S" / "wifi-creds.txt").write_text("ssid: Track\npassword: nope\n")
    [report] = watcher.poll()
    status = (media / "S" / "device-status.txt").read_text()
    assert not report.wifi.success and "connected: no" in status and "password was refused" in status


def test_bad_wifi_creds_do_not_join_and_the_models_still_import(media, tmp_path, write_model):
    joiner = Joiner(ConnectResult(True))
    watcher = _watcher(media, tmp_path / "models", joiner)
    stick = media / "S"
    write_model(stick / "models" / "racer-one")
    (stick / "wifi-creds.txt").write_text("password: only\n")
    [report] = watcher.poll()
    assert joiner.calls == [] and "no ssid" in report.wifi_problem
    assert report.installed == ["racer-one"]


def test_models_folder_imports_folders_and_archives_beside_the_installed_ones(media, tmp_path, write_model):
    models_root = tmp_path / "models"
    write_model(tmp_path / "event-model")
    model_package.install(tmp_path / "event-model", models_root)
    stick = media / "S"
    write_model(stick / "models" / "racer-one")
    write_model(tmp_path / "racer-two")
    with tarfile.open(stick / "models" / "racer-two.tar.gz", "w:gz") as archive:
        archive.add(tmp_path / "racer-two", arcname=".")
    (stick / "models" / "notes.txt").write_text("not a model")
    [report] = _watcher(media, models_root, Joiner(ConnectResult(True))).poll()
    assert sorted(report.installed) == ["racer-one", "racer-two"] and "notes.txt" in report.failed
    assert sorted(m.name for m in model_package.list_installed(models_root)) == \
        ["event-model", "racer-one", "racer-two"]  # not wiped first


def test_a_stick_pulled_mid_import_loses_nothing_installed(media, tmp_path, write_model):
    models_root = tmp_path / "models"
    write_model(tmp_path / "racer-one")
    before = model_package.install(tmp_path / "racer-one", models_root)
    stick = media / "S"
    write_model(stick / "models" / "a-first")
    write_model(stick / "models" / "racer-one")  # a newer racer-one, never copied whole

    def install_then_pull(source, root, **kwargs):
        installed = model_package.install(source, root, **kwargs)
        shutil.rmtree(stick)  # the stick goes after the first model
        return installed

    [report] = _watcher(media, models_root, Joiner(ConnectResult(True)), install_model=install_then_pull).poll()
    assert report.installed == ["a-first"] and "racer-one" in report.failed
    after = {m.name: m for m in model_package.list_installed(models_root)}
    assert sorted(after) == ["a-first", "racer-one"] and after["racer-one"].checksum == before.checksum
    assert not list(media.iterdir())  # nothing recreated where the stick was


def test_a_half_copied_model_replaces_nothing(media, tmp_path, write_model):
    models_root = tmp_path / "models"
    write_model(tmp_path / "racer-one")
    before = model_package.install(tmp_path / "racer-one", models_root)
    stick_model = media / "S" / "models" / "racer-one"
    write_model(stick_model)
    graph = next(p for p in stick_model.iterdir() if p.suffix in (".pb", ".xml"))
    graph.write_bytes(graph.read_bytes()[: graph.stat().st_size // 3])  # cut short, as a pulled copy
    [report] = _watcher(media, models_root, Joiner(ConnectResult(True))).poll()
    assert "racer-one" in report.failed
    assert model_package.list_installed(models_root)[0].checksum == before.checksum


def test_logs_folder_of_the_stick_in_now_is_the_usb_log_target(media, tmp_path):
    watcher = _watcher(media, tmp_path / "models", Joiner(ConnectResult(True)))
    (media / "S" / "logs").mkdir(parents=True)
    watcher.poll()
    assert watcher.logs_folder() == media / "S" / "logs"
    shutil.rmtree(media / "S")
    watcher.poll()
    assert watcher.logs_folder() is None


def test_on_a_car_only_mount_points_count(media, tmp_path):
    (media / "left-behind").mkdir()  # an empty folder an automounter left: not a stick
    watcher = StickWatcher(media, models_root=tmp_path / "models", join_wifi=Joiner(ConnectResult(True)),
                           network_name=lambda: "", require_mount_point=True)
    assert watcher.sticks() == {}


def test_a_stick_mounted_under_a_user_folder_is_found(media, tmp_path):
    stick = media / "deepracer" / "RACER"  # udisks: /media/<user>/<label>
    stick.mkdir(parents=True)
    (media / "deepracer" / "not-mounted").mkdir()
    # Mount points cannot be made here: which folders are mounts is told to the watcher.
    watcher = StickWatcher(media, models_root=tmp_path / "models", join_wifi=Joiner(ConnectResult(True)),
                           network_name=lambda: "", require_mount_point=True, is_mount=lambda p: p.name == "RACER")
    assert list(watcher.sticks()) == [stick]


def test_the_system_node_does_not_load_openvino():
    """OpenVINO is about 22 MB of the node's 109 MB idle RSS (measured); a stick's models are checked by the
    install's child process (inference_pkg.package_check), so the node never pays it."""
    import subprocess
    import sys

    code = "import sys, system_pkg.system_node; print('openvino' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"
