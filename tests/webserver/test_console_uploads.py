"""Uploads under pressure (issue 19, finding 6 and "also seen"): memory comes back, archives that would
unpack to far more than they hold are refused before anything large is written, work folders left by a
dead process go, a folder without its graph says so on load, and the listed md5 is the graph's own."""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import psutil
import pytest
from webserver.console_client import HttpClient

from inference_pkg.model_package import MAX_NAME_LENGTH, free_name
from support.archives import tar_gz_bytes
from support.rosgraph import NodeProcess, wait_for
from webserver_pkg.services import uploads

UPLOADS = 20
WARM_UPLOADS = 3
# The webserver's RSS may grow this much over 20 uploads after warm-up (it grew 3.5 MB per upload of the
# 20 MB demo model here, 45 MB per real model in issue 19; after the fix it levels off within 5 MB).
RSS_GROWTH_BOUND_MB = 25
WRITE_LIMIT_BYTES = 32 * 1024 * 1024


def _sparse_archive(folder: Path, size: str = "390M") -> Path:
    """A 388-byte-like upload: metadata plus a sparse model.pb of 390 MiB (GNU tar --sparse)."""
    package = folder / "sparse-package"
    package.mkdir()
    (package / "model_metadata.json").write_text('{"action_space": [], "sensor": ["FRONT_FACING_CAMERA"]}')
    subprocess.run(["truncate", "-s", size, str(package / "model.pb")], check=True)
    archive = folder / "sparse.tar.gz"
    subprocess.run(["tar", "--sparse", "-czf", str(archive), "-C", str(package), "."], check=True)
    return archive


def _zero_bomb(folder: Path) -> Path:
    """A plain (not sparse) 390 MiB of zeros that gzip squeezes to ~400 KB."""
    archive = folder / "zeros.tar.gz"
    source = folder / "zeros"
    source.mkdir()
    (source / "model_metadata.json").write_text("{}")
    with (source / "model.pb").open("wb") as out:
        out.truncate(390 * 1024 * 1024)
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        tar.add(source, arcname=".")
    shutil.rmtree(source)
    return archive


@pytest.mark.parametrize("make", [_sparse_archive, _zero_bomb], ids=["sparse member", "zero bomb"])
def test_an_archive_declaring_far_more_than_it_holds_writes_nothing_large(tmp_path, make):
    """The install runs in a child process that may not write a file over 32 MB (RLIMIT_FSIZE): writing the
    390 MiB member before refusing it (what happened) fails there with EFBIG instead of a clear refusal."""
    archive = make(tmp_path)
    assert archive.stat().st_size < 4 * 1024 * 1024
    script = textwrap.dedent(f"""
        import resource, signal, sys
        from pathlib import Path
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, ({WRITE_LIMIT_BYTES}, {WRITE_LIMIT_BYTES}))
        from inference_pkg.model_package import ModelPackageError, install
        try:
            install(Path({str(archive)!r}), Path({str(tmp_path / "models")!r}), "bomb")
        except ModelPackageError as error:
            print("REFUSED:", error)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert "REFUSED:" in result.stdout, result.stdout + result.stderr
    reason = result.stdout.split("REFUSED:", 1)[1]
    assert re.search(r"sparse file|says it unpacks to more than", reason), reason
    assert [p.name for p in (tmp_path / "models").iterdir()] == []


def test_work_folders_left_by_a_dead_install_are_removed_and_live_ones_kept(console_server, model_archive):
    root = console_server.models_root
    dead = root / ".install-crashed"
    (dead / "m").mkdir(parents=True)
    (dead / "m" / "model.pb").write_bytes(b"x" * 1000)
    live = root / ".install-running"
    live.mkdir()
    handle = os.open(live, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # as the install that owns it holds it
        reply = console_server.logged_in_client().upload("/api/uploadModels", "demo.tar.gz",
                                                         model_archive.read_bytes())
        assert reply.status == 200, reply.body
        assert not dead.exists() and live.exists()
    finally:
        os.close(handle)


def test_a_console_start_removes_leftovers(start_console, tmp_path):
    leftover = tmp_path / "models" / ".deleted-old-x1y2"
    (leftover / "old").mkdir(parents=True)
    start_console()
    assert not leftover.exists()


def test_a_model_folder_without_its_graph_says_so_on_load(console_server, model_archive):
    client = console_server.logged_in_client()
    assert client.upload("/api/uploadModels", "demo.tar.gz", model_archive.read_bytes()).status == 200
    for graph_file in ("model.pb", "model.xml", "model.bin"):  # the demo package is IR
        (console_server.models_root / "demo" / graph_file).unlink(missing_ok=True)
    reply = client.request("PUT", "/api/models/demo/model.pb")
    assert reply.status == 409, reply.body
    assert "cannot be loaded" in reply.json()["reason"] and "no graph found" in reply.json()["reason"]
    assert console_server.bridge.call_names().count("load_model") == 0


def test_the_listed_md5_is_the_graphs_even_when_checksum_txt_lies(console_server, model_archive):
    client = console_server.logged_in_client()
    assert client.upload("/api/uploadModels", "demo.tar.gz", model_archive.read_bytes()).status == 200
    folder = console_server.models_root / "demo"
    (folder / "checksum.txt").write_text("0123456789abcdef0123456789abcdef\n")
    listed = client.get("/api/uploaded_model_list").json()[0]["md5"]
    # The demo package is IR: its md5 is over model.xml then model.bin (inference_pkg.graph_files.checksum).
    assert listed == hashlib.md5((folder / "model.xml").read_bytes() + (folder / "model.bin").read_bytes()).hexdigest()


def test_the_upload_error_names_the_uploaded_file_not_a_spool_file(console_server):
    reply = console_server.logged_in_client().upload("/api/uploadModels", "my-model.tar.gz", os.urandom(2048))
    assert reply.status == 400
    reason = reply.json()["reason"]
    assert reason.startswith("my-model.tar.gz: ") and ".upload-" not in reason and "method gz" not in reason
    assert list((console_server.console_dir / "uploads").iterdir()) == []  # the spooled part is gone


def test_webserver_memory_returns_to_its_baseline_across_20_uploads(tmp_path, model_archive):
    """The real webserver node (its own process; cheroot's worker threads as on the car): RSS after warm-up
    uploads is the baseline; after 20 more it stays within RSS_GROWTH_BOUND_MB of it."""
    (tmp_path / "tag").write_text("rss-test-asset-tag")
    node = NodeProcess("webserver_pkg", "webserver_node", {
        "port": 0, "console_dir": str(tmp_path / "console"), "models_root": str(tmp_path / "models"),
        "asset_tag_path": str(tmp_path / "tag"), "system_log_path": str(tmp_path / "syslog")})
    try:
        url = wait_for(lambda: re.search(r"Console: (http://127\.0\.0\.1:\d+)", node.output()), 30,
                       f"the console's start line\n{node.output()}").group(1)
        client = HttpClient(url)
        assert client.login("rss-test-asset-tag").status == 200
        process, data = psutil.Process(node.process.pid), model_archive.read_bytes()
        rss_mb = []
        for index in range(WARM_UPLOADS + UPLOADS):
            reply = client.upload("/api/uploadModels?on_conflict=replace", f"model-{index % 4}.tar.gz", data)
            assert reply.status == 200, reply.body
            rss_mb.append(process.memory_info().rss / 1e6)
            if index % 4 == 3:  # models come and go, as at an event
                assert client.post("/api/deleteModels", {"filenames": ["model-0", "model-1"]}).status == 200
        baseline, last = rss_mb[WARM_UPLOADS - 1], rss_mb[-1]
        print(f"webserver RSS MB per upload: {[round(v) for v in rss_mb]}")
        assert last - baseline < RSS_GROWTH_BOUND_MB, f"RSS grew from {baseline:.0f} to {last:.0f} MB: {rss_mb}"
    finally:
        node.stop()



# Issue 14, findings 6 and 8: a same-name upload asks (replace, keep both) and is refused for the model driving
# the car; the same file under another name is pointed out; a refused upload says in plain words what is wrong.

def _wait_loaded(client) -> None:
    wait_for(lambda: client.get("/api/isModelLoading").json()["isModelLoading"] == "loaded", 5, "the model loaded")


def test_a_same_name_upload_asks_then_replaces_or_keeps_both(console_server, model_archive):
    client, data = console_server.logged_in_client(), model_archive.read_bytes()
    assert client.upload("/api/uploadModels", "demo.tar.gz", data).status == 200
    before = (console_server.models_root / "demo" / "checksum.txt").stat().st_ino

    asked = client.upload("/api/uploadModels?on_conflict=ask", "demo.tar.gz", data)  # what the Models page sends
    assert asked.status == 409, asked.body
    assert asked.json()["conflict"] == "name_taken" and asked.json()["free_name"] == "demo-2"
    assert "demo is installed already" in asked.json()["reason"] and "keep both" in asked.json()["reason"]
    assert (console_server.models_root / "demo" / "checksum.txt").stat().st_ino == before  # untouched

    kept = [client.upload("/api/uploadModels?on_conflict=keep_both", "demo.tar.gz", data).json()["model_name"]
            for _ in range(2)]
    assert kept == ["demo-2", "demo-3"]
    replaced = client.upload("/api/uploadModels?on_conflict=replace", "demo.tar.gz", data)
    assert replaced.status == 200 and replaced.json()["model_name"] == "demo" and replaced.json()["replaced"] is True
    assert (console_server.models_root / "demo" / "checksum.txt").stat().st_ino != before
    assert sorted(m["name"] for m in client.get("/api/uploaded_model_list").json()) == ["demo", "demo-2", "demo-3"]

    # Review: unsaid, the original console's answer: DREM uploads a racer's model again under its name.
    again = client.upload("/api/uploadModels", "demo.tar.gz", data)
    assert again.status == 200 and again.json()["model_name"] == "demo" and again.json()["replaced"] is True

    wrong = client.upload("/api/uploadModels?on_conflict=overwrite", "demo.tar.gz", data)
    assert wrong.status == 400 and "on_conflict must be one of ask, replace, keep_both" in wrong.json()["reason"]


def test_replacing_the_model_driving_the_car_is_refused_and_keep_both_still_works(console_server, model_archive):
    client, data = console_server.logged_in_client(), model_archive.read_bytes()
    assert client.upload("/api/uploadModels", "a.tar.gz", data).status == 200
    assert client.upload("/api/uploadModels", "b.tar.gz", data).status == 200
    client.request("PUT", "/api/models/a/model.pb")
    _wait_loaded(client)
    client.post("/api/drive_mode", {"drive_mode": "auto"})
    assert client.post("/api/start_stop", {"start_stop": "start"}).status == 200
    before = (console_server.models_root / "a" / "checksum.txt").stat().st_ino

    refused = client.upload("/api/uploadModels?on_conflict=replace", "a.tar.gz", data)
    assert refused.status == 409, refused.body
    reason = refused.json()["reason"]
    assert "the car is driving" in reason and "Stop vehicle" in reason and "replace a" in reason, reason
    assert (console_server.models_root / "a" / "checksum.txt").stat().st_ino == before
    assert client.upload("/api/uploadModels?on_conflict=replace", "b.tar.gz", data).status == 200  # not driving
    assert client.upload("/api/uploadModels?on_conflict=keep_both", "a.tar.gz", data).json()["model_name"] == "a-2"


def test_replace_is_refused_when_the_car_was_started_while_the_upload_was_checked(console_server, model_archive,
                                                                                   monkeypatch):
    """Review: the refusal was decided when the request came in, the swap made later on the installer thread
    after the package was checked, so a Start in between let the model driving the car be replaced. The racer's
    Start is made here at the moment the installer picks the name (the moment the check must be made)."""
    client, data = console_server.logged_in_client(), model_archive.read_bytes()
    assert client.upload("/api/uploadModels", "a.tar.gz", data).status == 200
    client.request("PUT", "/api/models/a/model.pb")
    _wait_loaded(client)
    client.post("/api/drive_mode", {"drive_mode": "auto"})
    before = (console_server.models_root / "a" / "checksum.txt").stat().st_ino
    pick = uploads.target_name

    def started_meanwhile(*args):
        console_server.bridge.set_navigation_started(True)
        return pick(*args)
    monkeypatch.setattr(uploads, "target_name", started_meanwhile)
    refused = client.upload("/api/uploadModels?on_conflict=replace", "a.tar.gz", data)
    assert refused.status == 409 and "the car is driving" in refused.json()["reason"], refused.body
    assert (console_server.models_root / "a" / "checksum.txt").stat().st_ino == before


def test_the_same_file_under_another_name_is_pointed_out(console_server, model_archive):
    client, data = console_server.logged_in_client(), model_archive.read_bytes()
    first = client.upload("/api/uploadModels", "first.tar.gz", data).json()
    assert first["same_as"] == [] and first["warning"] == ""
    second = client.upload("/api/uploadModels", "second.tar.gz", data).json()
    assert second["model_name"] == "second" and second["same_as"] == ["first"]
    assert second["warning"] == "the same file is installed already as first: delete one of them if you do not " \
                                "need both"


METADATA = b'{"action_space": [{"steering_angle": 0, "speed": 1}], "sensor": ["FRONT_FACING_CAMERA"]}'
NOT_A_PACKAGE = "this is not a model package: a .tar.gz exported from the DeepRacer console is expected"
# Every way the upload code refuses a file, and the plain words the racer reads (what is wrong, what to do).
PLAIN_ERRORS = {
    "random bytes": (os.urandom(3000), NOT_A_PACKAGE),
    "empty file": (b"", NOT_A_PACKAGE),
    "a zip": (b"PK\x03\x04" + os.urandom(200), NOT_A_PACKAGE),
    "cut short": (tar_gz_bytes({"model_metadata.json": METADATA, "model.pb": os.urandom(5000)})[:2000],
                  "the archive is damaged"),
    "metadata not JSON": (tar_gz_bytes({"model_metadata.json": b"{x", "model.pb": b"x"}),
                          "model_metadata.json: is not valid JSON (line 1, column 2)"),
    "metadata not text": (tar_gz_bytes({"model_metadata.json": b"\xff\xfe\x00", "model.pb": b"x"}),
                          "model_metadata.json: is not UTF-8 text"),
    "no actions": (tar_gz_bytes({"model_metadata.json": b'{"action_space": []}', "model.pb": b"x"}),
                   "model_metadata.json: action_space is an empty list"),
    "graph not a graph": (tar_gz_bytes({"model_metadata.json": METADATA, "model.pb": b"garbage" * 100}),
                          "model.pb: cannot be read as a TensorFlow frozen graph"),
    "IR not IR": (tar_gz_bytes({"model_metadata.json": METADATA, "model.xml": b"<x", "model.bin": b"1"}),
                  "model.xml: cannot be read as OpenVINO IR"),
    "half the IR": (tar_gz_bytes({"model_metadata.json": METADATA, "model.xml": b"<x"}), "model.bin is missing"),
    "no graph": (tar_gz_bytes({"model_metadata.json": METADATA}), "no graph found"),
}
# What a racer must never read: temporary names, Python's exception and codec texts, OpenVINO's frontend list.
INTERNALS = re.compile(r"/tmp|\.install-|\.upload-|\.part\b|Error\b|codec|Expecting|frontends|Traceback|method gz")


@pytest.mark.parametrize("case", list(PLAIN_ERRORS))
def test_a_refused_upload_says_in_plain_words_what_is_wrong(console_server, case):
    content, words = PLAIN_ERRORS[case]
    reply = console_server.logged_in_client().upload("/api/uploadModels", "my model.tar.gz", content)
    assert reply.status == 400, reply.body
    reason = reply.json()["reason"]
    assert reason.startswith("my model.tar.gz: ") and not reason.startswith("my model.tar.gz: my model"), reason
    assert words in reason and not INTERNALS.search(reason), reason
    assert not any(console_server.models_root.glob("*/model_metadata.json"))


def test_an_upload_with_no_file_chosen_says_so(console_server):
    client = console_server.logged_in_client()
    reply = client.upload("/api/uploadModels", "", b"")
    assert reply.status == 400 and reply.json()["reason"].startswith("no file chosen: choose a model package")


def test_keep_both_names_stay_within_the_name_limit(tmp_path):
    long_name = "m" * MAX_NAME_LENGTH
    (tmp_path / long_name).mkdir()
    (tmp_path / f"{'m' * (MAX_NAME_LENGTH - 2)}-2").mkdir()
    assert free_name(tmp_path, "fresh") == "fresh"
    assert free_name(tmp_path, long_name) == f"{'m' * (MAX_NAME_LENGTH - 2)}-3"
