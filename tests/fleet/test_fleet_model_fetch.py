"""Model install from a URL and log upload, over real HTTP on 127.0.0.1 (the organiser's side is the CLI's own
FileServer, or a bare server for the misbehaving cases), with the real model-package code installing a generated
DeepRacer-shaped model. Nothing is installed unless the md5 matches, and nothing installed changes on a failure."""

from __future__ import annotations

import hashlib
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from fleet_pkg import log_upload, model_fetch
from fleet_pkg.agent import CommandRefused
from fleet_pkg.file_server import FileServer
from inference_pkg import demo_model


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("package")
    source = demo_model.write_package(folder / "src")
    path = folder / "racer7.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for item in sorted(source.iterdir()):
            tar.add(item, arcname=item.name)
    return path


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def served(archive):
    server = FileServer("127.0.0.1", serve=archive)
    yield server
    server.close()


def test_a_matching_md5_installs_the_model_and_leaves_no_download_behind(tmp_path, archive, served) -> None:
    models = tmp_path / "models"
    result = model_fetch.fetch_and_install(served.url(archive.name), md5(archive).upper(), "racer7", models)
    assert result["model"] == "racer7" and result["md5"] == md5(archive)
    assert (models / "racer7" / "checksum.txt").read_text().strip() == result["checksum"]
    assert result["bytes"] == archive.stat().st_size == served.bytes_sent()
    assert [p.name for p in tmp_path.iterdir()] == ["models"]


def test_a_wrong_md5_installs_nothing_and_the_installed_model_of_that_name_stays(tmp_path, archive, served) -> None:
    models = tmp_path / "models"
    model_fetch.fetch_and_install(served.url(archive.name), md5(archive), "racer7", models)
    before = snapshot(models)
    with pytest.raises(CommandRefused) as caught:
        model_fetch.fetch_and_install(served.url(archive.name), "f" * 32, "racer7", models)
    assert f"md5 is {md5(archive)}, not {'f' * 32}: nothing was installed" in str(caught.value)
    assert snapshot(models) == before
    assert [p.name for p in tmp_path.iterdir()] == ["models"]


def test_a_file_that_is_not_a_model_package_is_refused_by_the_model_package_rules(tmp_path) -> None:
    junk = tmp_path / "notes.tar.gz"
    junk.write_bytes(b"definitely not a tar file")
    server = FileServer("127.0.0.1", serve=junk)
    try:
        with pytest.raises(CommandRefused) as caught:
            model_fetch.fetch_and_install(server.url(junk.name), md5(junk), "notes", tmp_path / "models")
    finally:
        server.close()
    assert "notes.tar.gz: is not a readable .tar.gz" in str(caught.value) and "package.tar.gz" not in str(caught.value)
    assert not any((tmp_path / "models").iterdir())


@pytest.mark.parametrize("url", ["http://8.8.8.8/m.tar.gz", "https://1.1.1.1:8443/m.tar.gz",
                                 "http://[2001:4860:4860::8888]/m.tar.gz"])
def test_only_the_event_network_is_reached(tmp_path, url: str) -> None:
    # IP literals: refused before any packet is sent (no name lookup, no connection).
    with pytest.raises(CommandRefused, match="is not on the event network"):
        model_fetch.fetch_and_install(url, "0" * 32, "m", tmp_path / "models")


def test_private_and_loopback_addresses_are_the_event_network() -> None:
    for url in ("http://127.0.0.1:1/m", "http://192.168.8.10/m", "http://10.1.2.3/m", "http://[::1]/m",
                "http://169.254.1.1/m"):
        assert model_fetch.check_event_network(url) == url


class Misbehaving(BaseHTTPRequestHandler):
    def log_message(self, *_args) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://8.8.8.8/elsewhere.tar.gz")
            self.end_headers()
        elif self.path == "/cut":
            self.send_response(200)
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            self.wfile.write(b"x" * 1000)
        elif self.path == "/big":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"x" * 300_000)
        else:
            self.send_error(404)


@pytest.fixture
def misbehaving():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Misbehaving)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("path", "words"), [
    ("/redirect", "redirects to http://8.8.8.8/elsewhere.tar.gz: give the package's own address"),
    ("/missing", "answered HTTP 404"),
    ("/cut", "the transfer was cut off"),
    ("/big", "larger than 0 MB"),
])
def test_a_misbehaving_server_fails_the_install_in_words(tmp_path, misbehaving, path: str, words: str) -> None:
    with pytest.raises(CommandRefused) as caught:
        model_fetch.fetch_and_install(misbehaving + path, "0" * 32, "m", tmp_path / "models", max_bytes=200_000)
    assert words in str(caught.value)
    assert [p.name for p in tmp_path.iterdir()] == ["models"] and not any((tmp_path / "models").iterdir())


def test_nothing_listening_fails_in_words(tmp_path) -> None:
    from support.stack import free_port
    with pytest.raises(CommandRefused, match="Connection refused"):
        model_fetch.fetch_and_install(f"http://127.0.0.1:{free_port()}/m.tar.gz", "0" * 32, "m", tmp_path / "models")


def test_a_runs_logs_are_uploaded_as_a_tar_gz_into_the_organisers_folder(tmp_path) -> None:
    logs = tmp_path / "logs"
    run = logs / "racer7-20261201-101500"
    run.mkdir(parents=True)
    (run / "metadata.yaml").write_text("rosbag2_bagfile_information: {}\n")
    (run / "racer7-20261201-101500_0.mcap").write_bytes(b"\x89MCAP0\r\n" + b"\x00" * 1000)
    into = tmp_path / "collected"
    server = FileServer("127.0.0.1", receive_into=into)
    try:
        result = log_upload.upload_run(logs, run.name, server.url("car1", f"{run.name}.tar.gz"))
    finally:
        server.close()
    received = into / "car1" / f"{run.name}.tar.gz"
    assert result == {"run": run.name, "bytes": received.stat().st_size}
    with tarfile.open(received) as tar:
        assert sorted(tar.getnames()) == [run.name, f"{run.name}/metadata.yaml", f"{run.name}/{run.name}_0.mcap"]
    assert not [p for p in logs.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("run", ["../etc", ".hidden", "a/b", "", "missing-run"])
def test_a_run_name_outside_the_logs_or_unknown_is_refused(tmp_path, run: str) -> None:
    (tmp_path / "logs" / "demo-20261201-101500").mkdir(parents=True)
    with pytest.raises(CommandRefused) as caught:
        log_upload.upload_run(tmp_path / "logs", run, "http://127.0.0.1:1/x")
    assert "is not a run name" in str(caught.value) or "this car has demo-20261201-101500" in str(caught.value)
