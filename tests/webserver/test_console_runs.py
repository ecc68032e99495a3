"""The Runs API over real HTTP: the list (complete, open and unreadable runs), a replay's pages and pictures,
the .tar.gz download and delete. The runs are real bags in the console's runs folder, written as the logging
node writes them."""

from __future__ import annotations

import io
import tarfile

import cv2
import numpy as np
import pytest

from support.bag_messages import write_run


@pytest.fixture
def runs(tmp_path, console_server):
    root = tmp_path / "logs"
    write_run(root / "Sample-model-20261201-090000", frames=40)
    write_run(root / "Sample-model-20261201-100000", frames=12, close=False)
    broken = root / "Sample-model-20261201-110000"
    broken.mkdir()
    (broken / "metadata.yaml").write_text("not: [a bag")
    (root / "holiday-photos").mkdir()
    return root, console_server.logged_in_client()


def test_the_list_has_every_run_newest_first_with_its_state_and_reason(runs):
    _, client = runs
    reply = client.get("/api/runs")
    assert reply.status == 200
    listed = {r["name"]: r for r in reply.json()["runs"]}
    assert list(listed) == ["Sample-model-20261201-110000", "Sample-model-20261201-100000",
                            "Sample-model-20261201-090000"]
    assert listed["Sample-model-20261201-090000"] | {"size_bytes": 0} == {
        "name": "Sample-model-20261201-090000", "model": "Sample-model", "racer": "",
        "start": "2025-12-01T09:00:00+00:00",
        "duration_s": pytest.approx(39 * 0.05, abs=1e-3), "frames": 40, "laps": None, "size_bytes": 0,
        "state": "complete", "reason": ""}
    assert listed["Sample-model-20261201-100000"]["state"] == "recording"
    assert listed["Sample-model-20261201-110000"]["state"] == "corrupt"
    assert "not valid YAML" in listed["Sample-model-20261201-110000"]["reason"]


def test_the_timeline_comes_in_pages_with_action_outputs_steering_and_throttle(runs):
    _, client = runs
    page = client.get("/api/runs/Sample-model-20261201-090000/timeline?start=30&count=20").json()
    assert page["total"] == 40 and page["start"] == 30 and len(page["frames"]) == 10
    first = page["frames"][0]
    assert (first["i"], first["seq"], first["action"]) == (30, 30, 0)
    assert first["t"] == pytest.approx(1.5) and first["outputs"][0] == pytest.approx(0.8)
    assert first["steering"] == pytest.approx(-1 + 60 / 39, abs=1e-3) and first["throttle"] == pytest.approx(0.5)
    too_many = client.get("/api/runs/Sample-model-20261201-090000/timeline?count=5000")
    assert too_many.status == 400 and "count must be a whole number" in too_many.json()["reason"]


def test_a_frame_picture_is_the_recorded_image(runs):
    _, client = runs
    reply = client.get("/api/runs/Sample-model-20261201-090000/frame/17")
    assert reply.status == 200 and reply.headers["Content-Type"] == "image/png"
    picture = cv2.imdecode(np.frombuffer(reply.body, np.uint8), cv2.IMREAD_UNCHANGED)
    assert picture.shape == (120, 160) and int(picture[60, 80]) == 17
    missing = client.get("/api/runs/Sample-model-20261201-090000/frame/40")
    assert missing.status == 404 and "has 40 frames" in missing.json()["reason"]


def test_an_unreadable_run_says_why_it_cannot_be_replayed(runs):
    _, client = runs
    reply = client.get("/api/runs/Sample-model-20261201-110000/timeline")
    assert reply.status == 409 and "cannot be replayed" in reply.json()["reason"]


def test_an_open_run_says_it_is_still_open_rather_than_failing(runs):
    _, client = runs
    reply = client.get("/api/runs/Sample-model-20261201-100000/frame/0")
    assert reply.status == 409 and "still open" in reply.json()["reason"]


def test_names_outside_the_runs_folder_are_404(runs):
    _, client = runs
    for name in ("holiday-photos", "..%2Fconsole", "Sample-model-20261201-120000"):
        reply = client.get(f"/api/runs/{name}/download")
        assert reply.status == 404, name


def test_the_download_is_the_bag_folder_as_tar_gz(runs):
    root, client = runs
    reply = client.get("/api/runs/Sample-model-20261201-090000/download")
    assert reply.status == 200
    assert 'filename="Sample-model-20261201-090000.tar.gz"' in reply.headers["Content-Disposition"]
    with tarfile.open(fileobj=io.BytesIO(reply.body), mode="r:gz") as archive:
        data = archive.extractfile("Sample-model-20261201-090000/Sample-model-20261201-090000_0.mcap").read()
    assert data == (root / "Sample-model-20261201-090000" / "Sample-model-20261201-090000_0.mcap").read_bytes()


def test_delete_needs_the_csrf_token_refuses_an_open_run_and_removes_a_closed_one(runs):
    root, client = runs
    assert client.request("DELETE", "/api/runs/Sample-model-20261201-090000", csrf=False).status == 403
    reply = client.request("DELETE", "/api/runs/Sample-model-20261201-100000")
    assert reply.status == 409 and "still open" in reply.json()["reason"]
    assert client.request("DELETE", "/api/runs/Sample-model-20261201-090000").status == 200
    assert not (root / "Sample-model-20261201-090000").exists()
    assert (root / "Sample-model-20261201-100000").exists() and (root / "holiday-photos").exists()
