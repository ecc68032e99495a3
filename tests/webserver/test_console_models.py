"""Model upload, listing, loading and deletion over real HTTP: files through inference_pkg's package
module (real archives, real OpenVINO graph check), loading through the in-process robot (the real cores)."""

from __future__ import annotations

import socket
import time

import pytest

from inference_pkg.model_package import install
from support.archives import tar_gz_bytes
from support.rosgraph import wait_for


@pytest.fixture
def api(console_server):
    return console_server.logged_in_client()


def _wait_state(api, wanted: str) -> dict:
    def reached() -> dict | None:
        state = api.get("/api/isModelLoading").json()
        return state if state["isModelLoading"] == wanted else None

    return wait_for(reached, 5, f"the model state {wanted!r}")


def test_upload_list_load_and_delete_a_model(console_server, api, model_archive):
    reply = api.upload("/api/uploadModels", "My Model.tar.gz", model_archive.read_bytes())
    assert reply.status == 200, reply.body
    assert reply.json() == {"success": True, "model_name": "My_Model", "replaced": False, "same_as": [],
                            "warning": ""}
    assert (console_server.models_root / "My_Model" / "model_metadata.json").is_file()

    listed = api.get("/api/uploaded_model_list").json()
    assert [m["name"] for m in listed] == ["My_Model"]
    entry = listed[0]
    assert entry["status"] == "Ready" and entry["sensors"] == "Front-facing camera"
    assert entry["training_algorithm"] == "Clipped PPO" and entry["action_space_type"] == "Discrete"
    assert entry["size"].endswith("MB") and entry["size_bytes"] > 1_000_000 and len(entry["md5"]) == 32
    assert abs(entry["creation_time"] - time.time()) < 600

    models = api.get("/api/models").json()
    assert models["models"] == [{"model_name": "model", "model_folder_name": "My_Model",
                                 "model_training_algorithm": "Clipped PPO", "model_action_space_type": "Discrete",
                                 "model_sensors": ["Front-facing camera"], "is_select_disabled": False}]
    assert models["sensor_status"]["camera_status"] == "connected"
    assert api.get("/api/is_model_installed?filename=My%20Model.tar.gz").json()["is_installed"] is True

    assert api.request("PUT", "/api/models/My_Model/model.pb").status == 200
    assert console_server.bridge.calls_to("load_model") == [(str(console_server.models_root / "My_Model"),)]
    assert _wait_state(api, "loaded")["model_name"] == "My_Model"
    assert api.get("/api/uploaded_model_list").json()[0]["status"] == "Loaded"

    assert api.post("/api/deleteModels", {"filenames": ["My_Model"]}).status == 200
    assert not (console_server.models_root / "My_Model").exists()
    assert api.get("/api/uploaded_model_list").json() == []
    assert api.get("/api/is_model_installed?filename=My_Model").json()["is_installed"] is False


def test_put_upload_works_like_post(api, model_archive):
    assert api.upload("/api/uploadModels", "put.tar.gz", model_archive.read_bytes(), method="PUT").status == 200
    assert [m["name"] for m in api.get("/api/uploaded_model_list").json()] == ["put"]


def test_a_model_that_fails_to_load_reports_the_reason(console_server, api, model_archive):
    install(model_archive, console_server.models_root, "m")
    console_server.bridge.fail_next_load = "the graph's output has 5 values but the action space has 10"
    assert api.request("PUT", "/api/models/m/model.pb").status == 200
    assert "5 values" in _wait_state(api, "error")["reason"]
    assert api.get("/api/uploaded_model_list").json()[0]["status"] == "Error"


BAD_ARCHIVES = {
    "path traversal": (tar_gz_bytes({"../evil.json": b"{}"}), "outside the package"),
    "absolute path": (tar_gz_bytes({"/etc/cron.d/evil": b"x"}), "outside the package"),
    "symlink": (tar_gz_bytes({"model_metadata.json": b"{}"}, links={"model.pb": "/etc/passwd"}), "link"),
    "not an archive": (b"this is not a tar file at all", "not a readable"),
    "no metadata": (tar_gz_bytes({"model.pb": b"x" * 100}), "model_metadata.json is missing"),
    "bad metadata": (tar_gz_bytes({"model_metadata.json": b"{not json", "model.pb": b"x"}), "model_metadata.json"),
}


@pytest.mark.parametrize("case", list(BAD_ARCHIVES))
def test_bad_archives_are_refused_and_installed_models_stay(console_server, api, model_archive, case):
    install(model_archive, console_server.models_root, "keep")
    before = sorted(p.relative_to(console_server.models_root)
                    for p in console_server.models_root.rglob("*") if ".ir-cache" not in p.parts)
    content, words = BAD_ARCHIVES[case]
    reply = api.upload("/api/uploadModels", "keep.tar.gz", content)  # same name: must not replace
    assert reply.status == 400
    assert reply.json()["success"] is False and words in reply.json()["reason"], reply.json()
    after = sorted(p.relative_to(console_server.models_root)
                   for p in console_server.models_root.rglob("*") if ".ir-cache" not in p.parts)
    assert after == before
    assert [m["name"] for m in api.get("/api/uploaded_model_list").json()] == ["keep"]
    assert list((console_server.console_dir / "uploads").iterdir()) == []


def test_an_upload_over_the_size_limit_is_refused_with_413(console_server, api):
    """Refused from the declared length, before the body is read: sent on a raw socket, since a
    client still pushing 65 MB would get a broken pipe instead of reading the answer."""
    cookie = "; ".join(f"{c.name}={c.value}" for c in api.cookies)
    port = int(console_server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall((f"POST /api/uploadModels HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
                            f"X-CSRF-Token: {api.csrf_token}\r\n"
                            "Content-Type: multipart/form-data; boundary=x\r\n"
                            f"Content-Length: {65 * 1024 * 1024}\r\n\r\n--x\r\n").encode())
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert b"64 MB" in body and b'"success":false' in body
    assert not console_server.models_root.exists() or list(console_server.models_root.iterdir()) == []


def test_upload_without_a_file_field_is_refused(api):
    reply = api.request("POST", "/api/uploadModels", data=b"", headers={"Content-Type": "multipart/form-data; "
                                                                                       "boundary=x"})
    assert reply.status == 400 and "multipart field 'file'" in reply.json()["reason"]


def test_loading_an_unknown_model_or_while_driving_is_refused(console_server, api, model_archive):
    reply = api.request("PUT", "/api/models/ghost/model.pb")
    assert reply.status == 404 and "no installed model named 'ghost'" in reply.json()["reason"]
    assert api.request("PUT", "/api/models/..%2F..%2Fetc/model.pb").status == 404
    install(model_archive, console_server.models_root, "m")
    api.post("/api/start_stop", {"start_stop": "start"})  # manual mode: navigation starts
    reply = api.request("PUT", "/api/models/m/model.pb")
    assert reply.status == 409 and "stop it" in reply.json()["reason"]
    assert console_server.bridge.calls_to("load_model") == []


def test_deleting_is_checked_before_anything_goes(console_server, api, model_archive):
    install(model_archive, console_server.models_root, "a")
    reply = api.post("/api/deleteModels", {"filenames": ["a", "ghost"]})
    assert reply.status == 404 and "ghost" in reply.json()["reason"]
    assert (console_server.models_root / "a").is_dir()
    assert api.post("/api/deleteModels", {"filenames": "a"}).status == 400
    assert api.post("/api/deleteModels", {"filenames": []}).status == 400


def test_the_model_driving_the_car_cannot_be_deleted(console_server, api, model_archive):
    install(model_archive, console_server.models_root, "a")
    api.request("PUT", "/api/models/a/model.pb")
    _wait_state(api, "loaded")
    api.post("/api/drive_mode", {"drive_mode": "auto"})
    assert api.post("/api/start_stop", {"start_stop": "start"}).status == 200
    reply = api.post("/api/deleteModels", {"filenames": ["a"]})
    reason = reply.json()["reason"]
    assert reply.status == 409 and "press Stop vehicle" in reason and "then delete a" in reason, reason
    assert (console_server.models_root / "a").is_dir()


def test_models_needing_a_missing_sensor_cannot_be_selected(console_server, api, model_archive):
    install(model_archive, console_server.models_root, "m")
    console_server.bridge.camera = None
    models = api.get("/api/models").json()
    assert models["models"][0]["is_select_disabled"] is True
    assert models["sensor_status"]["camera_status"] == "not_connected"


def test_is_model_installed_refuses_unusable_names(api):
    reply = api.get("/api/is_model_installed?filename=%2E%2E%2F")
    assert reply.status == 400 and reply.json()["success"] is False


def test_a_broken_model_folder_is_listed_with_its_reason_and_can_be_deleted(console_server, api, model_archive):
    install(model_archive, console_server.models_root, "good")
    broken = console_server.models_root / "broken"
    broken.mkdir()
    (broken / "model_metadata.json").write_text("{not json")
    listed = {entry["name"]: entry for entry in api.get("/api/uploaded_model_list").json()}
    assert listed["good"]["status"] == "Ready" and listed["good"]["problem"] == ""
    assert listed["broken"]["status"] == "Broken"
    assert "model_metadata.json" in listed["broken"]["problem"]
    assert [m["model_folder_name"] for m in api.get("/api/models").json()["models"]] == ["good"]  # never selectable
    assert api.post("/api/deleteModels", {"filenames": ["broken"]}).status == 200
    assert not broken.exists() and (console_server.models_root / "good").is_dir()
