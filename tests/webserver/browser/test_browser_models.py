"""Browser test of the Models page: a refused upload says why and installs nothing, a real model
package uploads with progress and is listed with its details, delete removes it. Real headless
Chromium, the real console app over HTTP and the inference package's real installer; the robot is
the in-process robot (webserver_pkg.robot.in_process: the real cores)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from webserver.browser.browser_support import screenshot
from webserver.console_client import ConsoleTestServer

pytestmark = pytest.mark.browser

# Records every text the upload status shows, so the test sees the progress steps, not only the end.
WATCH_UPLOAD_STATUS = """() => {
  window.uploadTexts = [];
  const status = document.getElementById("upload-status");
  new MutationObserver(() => window.uploadTexts.push(status.textContent))
    .observe(status, { childList: true, characterData: true, subtree: true });
}"""


def test_upload_lists_and_deletes_a_model(console_page: Page, console_server: ConsoleTestServer,
                                          model_archive: Path, tmp_path: Path) -> None:
    page = console_page
    page.goto("/models")
    expect(page.get_by_text("No models installed yet")).to_be_visible()
    file_input = page.get_by_label("Model package (.tar.gz")  # a failure text may say "model package" too
    upload = page.get_by_role("button", name="Upload", exact=True)

    not_a_package = tmp_path / "notes.tar.gz"
    not_a_package.write_bytes(b"these are not the droids you are looking for")
    file_input.set_input_files(str(not_a_package))
    upload.click()
    expect(page.get_by_role("alert")).to_contain_text("Upload of notes.tar.gz failed: notes.tar.gz:")
    assert not any(console_server.models_root.glob("*/model_metadata.json"))

    page.evaluate(WATCH_UPLOAD_STATUS)
    file_input.set_input_files(str(model_archive))
    upload.click()
    expect(page.locator("#upload-status")).to_have_text("Installed demo-model. Load it on the Control page.")
    texts = page.evaluate("window.uploadTexts")
    assert any(text.startswith("Uploading demo-model.tar.gz") for text in texts), texts
    assert "Checking and installing demo-model.tar.gz…" in texts, "upload progress reached 100 % first"
    expect(page.locator("#upload-progress")).to_have_attribute("value", "100")

    listed = console_server.logged_in_client().get("/api/uploaded_model_list").json()
    assert [model["name"] for model in listed] == ["demo-model"]
    row = page.locator('tr[data-model="demo-model"]')
    expect(row.locator('td[data-label="Name"]')).to_have_text("demo-model")
    expect(row.locator('td[data-label="Size"]')).to_have_text(listed[0]["size"])
    expect(row.locator('td[data-label="Status"]')).to_have_text("Ready")
    expect(row.locator('td[data-label="Sensors"]')).to_have_text("Camera")
    expect(row.locator('td[data-label="Action space"]')).to_have_text("discrete, clipped_ppo")
    expect(row.locator('td[data-label="MD5"]')).to_have_text(listed[0]["md5"])
    expect(row.locator('td[data-label="Upload time"]')).not_to_be_empty()
    screenshot(page, "models-installed")

    delete = page.get_by_role("button", name="Delete selected")
    expect(delete).to_be_disabled()
    row.get_by_role("checkbox", name="Select demo-model").check()
    page.once("dialog", lambda dialog: dialog.accept())
    delete.click()
    expect(row).to_have_count(0)
    expect(page.get_by_text("No models installed yet")).to_be_visible()
    assert not (console_server.models_root / "demo-model").exists()
