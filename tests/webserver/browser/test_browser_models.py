"""Browser tests of the Models page for a day of 30 racers (issue 14, findings 5, 6, 8 and the 30+ list): files
queued and uploaded one after another with a row each, the same-name question, the duplicate warning, plain-word
errors that a new upload clears, and search/sort/select-all/delete over 32 models. Real headless Chromium at
390x844 and 1280x800, the real console app over HTTP and the inference package's real installer; the robot is
the in-process robot (webserver_pkg.robot.in_process: the real cores)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from webserver.browser.browser_support import screenshot
from webserver.console_client import ConsoleTestServer

from inference_pkg.model_package import install
from support.rosgraph import wait_for
from webserver_pkg.context import EXTENSION

pytestmark = pytest.mark.browser

INSTALL_WAIT_MS = 60_000  # five 20 MB installs on a loaded 2-core machine




def _copies(model_archive: Path, folder: Path, names: list[str]) -> list[str]:
    """The model package under other file names (links: no 20 MB copies)."""
    folder.mkdir(exist_ok=True)
    paths = []
    for name in names:
        path = folder / f"{name}.tar.gz"
        if not path.exists():
            os.symlink(model_archive, path)
        paths.append(str(path))
    return paths


def _row(page: Page, file_name: str):
    return page.locator(f'.upload-row[data-file="{file_name}"]')


def test_files_chosen_while_one_installs_are_queued_and_all_installed(
        screen_page: tuple[str, Page], console_server: ConsoleTestServer, model_archive: Path, tmp_path: Path) -> None:
    name, page = screen_page
    page.goto("/models")
    names = [f"racer-{index}" for index in range(1, 6)]
    files = _copies(model_archive, tmp_path, names)
    gate = threading.Event()  # holds the installer thread, so the first file is "installing" for as long as needed
    blocker = threading.Thread(target=console_server.app.extensions[EXTENSION].installer.run,
                               args=(lambda: gate.wait(INSTALL_WAIT_MS / 1000),))
    blocker.start()
    try:
        file_input = page.get_by_label("Model packages (.tar.gz")
        upload = page.get_by_role("button", name="Upload", exact=True)
        file_input.set_input_files(files[:3])
        upload.click()
        expect(_row(page, "racer-1.tar.gz")).to_contain_text("Checking and installing…")
        file_input.set_input_files(files[3:])  # while the first installs
        upload.click()
        expect(page.locator(".upload-row")).to_have_count(5)
        for waiting in names[1:]:
            expect(_row(page, f"{waiting}.tar.gz")).to_contain_text("Waiting to upload…")
        screenshot(page, f"models-queue-{name}", full_page=False)
    finally:
        gate.set()
        blocker.join()
    for installed in names:
        expect(_row(page, f"{installed}.tar.gz").locator(".upload-text")).to_have_text(
            f"Installed as {installed}. Load it on the Control page.", timeout=INSTALL_WAIT_MS)
    listed = console_server.logged_in_client().get("/api/uploaded_model_list").json()
    assert sorted(model["name"] for model in listed) == names
    expect(page.locator("#models-body tr")).to_have_count(5)
    first = page.locator('tr[data-model="racer-1"]')
    expect(first.locator('td[data-label="Size"]')).to_have_text(listed[0]["size"])
    expect(first.locator('td[data-label="Status"]')).to_have_text("Ready")
    expect(first.locator('td[data-label="Sensors"]')).to_have_text("Front-facing camera")
    expect(first.locator('td[data-label="Action space"]')).to_have_text("Discrete, Clipped PPO")
    expect(first.locator('td[data-label="MD5"]')).to_have_text(listed[0]["md5"])
    screenshot(page, f"models-queue-done-{name}")


def test_a_same_name_upload_asks_and_the_same_file_is_pointed_out(
        screen_page: tuple[str, Page], console_server: ConsoleTestServer, model_archive: Path, tmp_path: Path) -> None:
    name, page = screen_page
    install(model_archive, console_server.models_root, "demo-model")
    page.goto("/models")
    file_input = page.get_by_label("Model packages (.tar.gz")
    upload = page.get_by_role("button", name="Upload", exact=True)
    row = _row(page, "demo-model.tar.gz")

    file_input.set_input_files(str(model_archive))
    upload.click()
    expect(row.locator(".upload-text")).to_have_text(
        "A model named demo-model is installed already: replace it, or keep both (the new one is installed as "
        "demo-model-2).")
    expect(row.get_by_role("button", name="Replace")).to_be_visible()
    screenshot(page, f"models-same-name-question-{name}", full_page=False)
    row.get_by_role("button", name="Keep both (as demo-model-2)").click()
    expect(row.locator(".upload-text")).to_have_text("Installed as demo-model-2. Load it on the Control page.",
                                                     timeout=INSTALL_WAIT_MS)
    expect(row.locator(".upload-warning")).to_have_text(
        "The same file is installed already as demo-model: delete one of them if you do not need both")
    expect(row.get_by_role("button", name="Delete demo-model-2 again")).to_be_visible()
    screenshot(page, f"models-duplicate-warning-{name}", full_page=False)

    file_input.set_input_files(str(model_archive))  # and once more: this time replace it
    upload.click()
    expect(row).to_have_count(1)  # the finished row of the earlier batch is cleared
    row.get_by_role("button", name="Replace").click()
    expect(row.locator(".upload-text")).to_have_text(
        "Installed as demo-model (it replaced the one installed before). Load it on the Control page.",
        timeout=INSTALL_WAIT_MS)
    listed = console_server.logged_in_client().get("/api/uploaded_model_list").json()
    assert sorted(model["name"] for model in listed) == ["demo-model", "demo-model-2"]


def test_an_upload_error_is_in_plain_words_and_a_new_upload_clears_it(
        screen_page: tuple[str, Page], console_server: ConsoleTestServer, model_archive: Path, tmp_path: Path) -> None:
    name, page = screen_page
    page.goto("/models")
    file_input = page.get_by_label("Model packages (.tar.gz")
    upload = page.get_by_role("button", name="Upload", exact=True)
    upload.click()
    expect(page.locator("#upload-hint")).to_have_text(
        "No file chosen: choose one or more model packages (.tar.gz) first, then press Upload.")

    not_a_package = tmp_path / "notes.tar.gz"
    not_a_package.write_bytes(b"these are not the droids you are looking for")
    file_input.set_input_files(str(not_a_package))
    upload.click()
    failed = _row(page, "notes.tar.gz")
    expect(failed.get_by_role("alert")).to_have_text(
        "Not installed: notes.tar.gz: is not a readable .tar.gz or .tar archive (or it is damaged), so this is not "
        "a model package: a .tar.gz exported from the DeepRacer console is expected")
    expect(page.locator("#upload-hint")).to_be_hidden()
    text = failed.inner_text()
    assert ".upload-" not in text and "Error" not in text and "/tmp" not in text, text
    screenshot(page, f"models-plain-error-{name}", full_page=False)

    file_input.set_input_files(_copies(model_archive, tmp_path / "good", ["good-model"]))
    upload.click()
    expect(failed).to_have_count(0)
    expect(_row(page, "good-model.tar.gz").locator(".upload-text")).to_have_text(
        "Installed as good-model. Load it on the Control page.", timeout=INSTALL_WAIT_MS)
    expect(page.get_by_role("alert")).to_have_count(0)


def _thirty_two_models(root: Path, model_archive: Path) -> list[dict]:
    """32 installed models without 32 installs: one real install, then folders of hard links to its graph,
    each with its own metadata file (its date) and a padding file (its size), neither in name order."""
    first = install(model_archive, root, "racer-01").path
    now = time.time()
    made = []
    for index in range(1, 33):
        folder = root / f"racer-{index:02d}"
        if index > 1:
            folder.mkdir()
            for graph_file in ("model.xml", "model.bin", "checksum.txt"):
                os.link(first / graph_file, folder / graph_file)
            (folder / "model_metadata.json").write_bytes((first / "model_metadata.json").read_bytes())
        (folder / "notes.txt").write_bytes(b"x" * (((index * 7) % 32) * 10_000))
        stamp = now - ((index * 11) % 32) * 3600
        os.utime(folder / "model_metadata.json", (stamp, stamp))
        made.append({"name": folder.name, "date": stamp, "size": ((index * 7) % 32)})
    return made


def test_search_sort_select_all_and_delete_with_32_models(
        screen_page: tuple[str, Page], console_server: ConsoleTestServer, model_archive: Path) -> None:
    name, page = screen_page
    made = _thirty_two_models(console_server.models_root, model_archive)
    page.goto("/models")
    rows = page.locator("#models-body tr")
    expect(rows).to_have_count(32)
    expect(page.locator("#models-count")).to_have_text("32 models")
    names = lambda: rows.locator('td[data-label="Name"]').all_inner_texts()  # noqa: E731

    page.get_by_label("Sort by").select_option("size")
    expect(rows.first).to_have_attribute("data-model", max(made, key=lambda m: m["size"])["name"])
    page.get_by_label("Sort by").select_option("date")
    assert names() == [m["name"] for m in sorted(made, key=lambda m: -m["date"])]
    page.get_by_label("Sort by").select_option("name")
    assert names() == sorted(m["name"] for m in made)

    page.get_by_label("Search").fill("racer-1")
    expect(rows).to_have_count(10)
    expect(page.locator("#models-count")).to_have_text("10 of 32 models shown")
    page.get_by_label("Select all shown").check()
    delete = page.get_by_role("button", name="Delete selected (10)")
    expect(delete).to_be_enabled()
    screenshot(page, f"models-32-search-select-{name}", full_page=False)

    client = console_server.logged_in_client()  # racer-15 drives the car
    assert client.request("PUT", "/api/models/racer-15/model.pb").status == 200
    wait_for(lambda: client.get("/api/isModelLoading").json()["isModelLoading"] == "loaded", 10, "racer-15 loaded")
    client.post("/api/drive_mode", {"drive_mode": "auto"})
    assert client.post("/api/start_stop", {"start_stop": "start"}).status == 200
    page.once("dialog", lambda dialog: dialog.accept())
    delete.click()
    expect(page.locator("#list-status")).to_contain_text("delete racer-15 (it is the model driving the car); "
                                                         "nothing was deleted")
    expect(page.locator("#list-status")).to_contain_text("The car is driving")
    expect(rows).to_have_count(10)
    screenshot(page, f"models-32-delete-refused-{name}", full_page=False)

    assert client.post("/api/start_stop", {"start_stop": "stop"}).status == 200
    page.once("dialog", lambda dialog: dialog.accept())
    delete.click()
    expect(rows).to_have_count(0)
    expect(page.locator("#list-status")).to_be_hidden()
    page.get_by_label("Search").fill("")
    expect(rows).to_have_count(22)
    assert len(client.get("/api/uploaded_model_list").json()) == 22
