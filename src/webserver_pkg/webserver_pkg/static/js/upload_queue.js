// The Models page's upload queue: files are uploaded one after another, each in a row of its own with its
// progress and result, so nothing chosen while another file installs is lost (issue 14: 14 of 30 were).
// Reasons are the car's own words (they name the file, what is wrong with it and what to do).
// What the car decides stays on the car: a taken name is answered with a question (409, conflict
// "name_taken") that the row asks; the answer uploads the file again with on_conflict=replace|keep_both.
import { api, uploadFile } from "./api.js";

const UPLOAD_PATH = "/api/uploadModels";

function sentence(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

class UploadRow {
  constructor(file, list) {
    this.file = file;
    this.item = document.createElement("li");
    this.item.className = "upload-row";
    this.item.dataset.file = file.name;
    const name = document.createElement("strong");
    name.className = "upload-name";
    name.textContent = file.name;
    this.progress = document.createElement("progress");
    this.progress.max = 100;
    this.progress.value = 0;
    this.progress.setAttribute("aria-label", `Upload of ${file.name}`);
    this.text = document.createElement("p");
    this.text.className = "upload-text";
    this.note = document.createElement("p");
    this.note.className = "upload-warning";
    this.note.hidden = true;
    this.actions = document.createElement("div");
    this.actions.className = "upload-actions";
    this.item.append(name, this.progress, this.text, this.note, this.actions);
    list.append(this.item);
    this.finished = false;
  }

  show(text, { fraction = null, error = false } = {}) {
    this.text.textContent = text;
    this.text.classList.toggle("text-error", error);
    this.text.setAttribute("role", error ? "alert" : "status");
    this.item.classList.toggle("upload-failed", error);
    this.progress.hidden = error;
    if (fraction === null) this.progress.removeAttribute("value");
    else this.progress.value = Math.round(fraction * 100);
  }

  offer(choices) {
    this.actions.replaceChildren(...choices.map(([label, action]) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button";
      button.textContent = label;
      button.addEventListener("click", () => {
        this.actions.replaceChildren();
        action();
      });
      return button;
    }));
  }

  warn(text) {
    this.note.hidden = !text;
    this.note.textContent = text ? sentence(text) : "";
  }
}

export class UploadQueue {
  // `onInstalled` runs after every install (the page refreshes its list).
  constructor(list, onInstalled) {
    this.list = list;
    this.onInstalled = onInstalled;
    this.waiting = [];
    this.running = false;
  }

  get busy() {
    return this.running || this.waiting.length > 0;
  }

  // A new batch on an idle queue clears the previous batch's finished rows (an old error is not left
  // beside new uploads); rows still asking a question stay until answered.
  add(files) {
    if (!this.busy) {
      for (const item of [...this.list.children]) if (item.dataset.finished === "true") item.remove();
    }
    for (const file of files) {
      const row = new UploadRow(file, this.list);
      row.show("Waiting to upload…", { fraction: 0 });
      this.waiting.push({ row, onConflict: "ask" });
    }
    this.run();
  }

  async run() {
    if (this.running) return;
    this.running = true;
    try {
      while (this.waiting.length > 0) await this.upload(this.waiting.shift());
    } finally {
      this.running = false;
    }
  }

  requeue(row, onConflict) {
    row.show("Waiting to upload…", { fraction: 0 });
    this.waiting.push({ row, onConflict });
    this.run();
  }

  async upload({ row, onConflict }) {
    const file = row.file;
    row.item.dataset.finished = "false";
    row.warn("");
    row.show(`Uploading… 0 %`, { fraction: 0 });
    try {
      const result = await uploadFile(`${UPLOAD_PATH}?on_conflict=${onConflict}`, file, (fraction) => {
        if (fraction < 1) row.show(`Uploading… ${Math.round(fraction * 100)} %`, { fraction });
        else row.show("Checking and installing…");
      });
      const replaced = result.replaced ? " (it replaced the one installed before)" : "";
      row.show(`Installed as ${result.model_name}${replaced}. Load it on the Control page.`, { fraction: 1 });
      row.warn(result.warning);
      if (result.warning) this.offerDelete(row, result.model_name);
      row.item.dataset.finished = "true";
      row.item.dataset.installedAs = result.model_name;
      await this.onInstalled();
    } catch (error) {
      this.refused(row, error);
    }
  }

  refused(row, error) {
    const data = error.data || {};
    if (data.conflict === "name_taken") {
      row.show(`${sentence(error.message)}.`, { fraction: 0 });
      row.progress.hidden = true;
      row.item.dataset.finished = "asking";
      row.offer([
        ["Replace", () => this.requeue(row, "replace")],
        [`Keep both (as ${data.free_name})`, () => this.requeue(row, "keep_both")],
        ["Skip", () => { row.show("Skipped: nothing was installed."); row.item.dataset.finished = "true"; }],
      ]);
      return;
    }
    row.show(`Not installed: ${error.message}`, { error: true });
    row.item.dataset.finished = "true";
    if (error.status === 409) {  // replacing the model that drives the car: keeping both is still possible
      row.offer([["Keep both", () => this.requeue(row, "keep_both")]]);
    }
  }

  offerDelete(row, name) {
    row.offer([[`Delete ${name} again`, async () => {
      try {
        await api.post("/api/deleteModels", { filenames: [name] });
        row.show(`Deleted ${name}: only the copy installed before is kept.`, { fraction: 1 });
        row.warn("");
      } catch (error) {
        row.show(`Not deleted: ${error.message}`, { error: true });
      }
      await this.onInstalled();
    }]]);
  }
}
