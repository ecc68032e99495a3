// Models page: the upload queue (upload_queue.js), and the installed list made for a day of 30+ models:
// search by name, sort (name, date installed, size), select all shown, delete selected.
import { api, notify } from "./api.js";
import { UploadQueue } from "./upload_queue.js";

const $ = (id) => document.getElementById(id);
const body = $("models-body");
const deleteButton = $("delete-button");
const search = $("models-search");
const sort = $("models-sort");
const selectAll = $("select-all");
let models = [];
const chosen = new Set();  // names, kept across refreshes and filtering
const SORTS = {
  name: (a, b) => a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: "base" }),
  date: (a, b) => (b.creation_time || 0) - (a.creation_time || 0),
  size: (a, b) => (b.size_bytes || 0) - (a.size_bytes || 0),
};


function formatTime(seconds) {
  if (typeof seconds !== "number") return String(seconds ?? "");
  return new Date(seconds * 1000).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function cell(label, content, className = "") {
  const td = document.createElement("td");
  td.dataset.label = label;
  if (className) td.className = className;
  td.append(content);
  return td;
}

function shown() {
  const words = search.value.trim().toLowerCase();
  return models.filter((model) => model.name.toLowerCase().includes(words)).sort(SORTS[sort.value] || SORTS.name);
}

function render() {
  const visible = shown();
  body.replaceChildren();
  $("models-empty").hidden = models.length > 0;
  $("models-table").hidden = visible.length === 0;
  $("models-tools").hidden = models.length === 0;
  $("models-count").textContent = visible.length === models.length
    ? `${models.length} model${models.length === 1 ? "" : "s"}`
    : `${visible.length} of ${models.length} models shown`;
  for (const model of visible) {
    const row = document.createElement("tr");
    row.dataset.model = model.name;
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = model.name;
    box.checked = chosen.has(model.name);
    box.setAttribute("aria-label", `Select ${model.name}`);
    box.addEventListener("change", () => {
      if (box.checked) chosen.add(model.name);
      else chosen.delete(model.name);
      updateDeleteButton();
    });
    const sensors = model.sensors || "";  // the car's words, as the original console listed them
    const md5 = document.createElement("code");
    md5.textContent = model.md5 || "–";
    md5.title = model.md5 || "";
    const status = document.createElement("span");
    status.className = `badge badge-${String(model.status).toLowerCase()}`;
    status.textContent = model.status;
    const notes = [model.problem, ...(model.warnings || [])].filter(Boolean);
    const statusCell = document.createElement("div");
    statusCell.append(status);
    if (notes.length > 0) {
      const note = document.createElement("small");
      note.className = "model-note";
      note.textContent = notes.join(" · ");
      statusCell.append(note);
    }
    row.append(
      cell("Select", box, "cell-select"),
      cell("Name", model.name, "cell-name"),
      cell("Size", model.size),
      cell("Upload time", formatTime(model.creation_time)),
      cell("Status", statusCell),
      cell("Sensors", sensors),
      cell("Action space", [model.action_space_type, model.training_algorithm].filter(Boolean).join(", ")),
      cell("MD5", md5, "cell-md5"),
    );
    body.append(row);
  }
  updateDeleteButton();
}

// Only what is shown is deleted: a model hidden by the search is never deleted unseen.
function selected() {
  return shown().map((model) => model.name).filter((name) => chosen.has(name));
}

function updateDeleteButton() {
  const names = selected();
  deleteButton.disabled = names.length === 0;
  deleteButton.textContent = names.length > 0 ? `Delete selected (${names.length})` : "Delete selected";
  const visible = shown();
  const checked = visible.filter((model) => chosen.has(model.name)).length;
  selectAll.checked = visible.length > 0 && checked === visible.length;
  selectAll.indeterminate = checked > 0 && checked < visible.length;
}

function showListStatus(text) {
  const status = $("list-status");
  status.hidden = !text;
  status.textContent = text ? text.charAt(0).toUpperCase() + text.slice(1) : "";
}

async function refresh() {
  try {
    models = await api.get("/api/uploaded_model_list");
  } catch (error) {
    showListStatus(error.message);
    return;
  }
  const names = new Set(models.map((model) => model.name));
  for (const name of [...chosen]) if (!names.has(name)) chosen.delete(name);
  render();
}

search.addEventListener("input", render);
sort.addEventListener("change", render);
selectAll.addEventListener("change", () => {
  for (const model of shown()) {
    if (selectAll.checked) chosen.add(model.name);
    else chosen.delete(model.name);
  }
  render();
});

deleteButton.addEventListener("click", async () => {
  const names = selected();
  const what = names.length > 3 ? `these ${names.length} models` : names.join(", ");
  if (!window.confirm(`Delete ${what} from the car? This cannot be undone.`)) return;
  deleteButton.disabled = true;
  showListStatus("");
  try {
    await api.post("/api/deleteModels", { filenames: names });
    notify(`Deleted ${what}.`, "info");
    for (const name of names) chosen.delete(name);
  } catch (error) {
    showListStatus(error.message);
  }
  await refresh();
});

const form = $("upload-form");
const fileInput = $("model-file");
const hint = $("upload-hint");
const queue = new UploadQueue($("upload-queue"), refresh);

function enqueue(files) {
  hint.hidden = true;
  const messages = document.getElementById("messages");
  if (messages) messages.replaceChildren();  // an old error is not left beside new uploads
  queue.add(files);
}

// The input is cleared only once its files are in the queue: files chosen while another installs stay.
form.addEventListener("submit", (event) => {
  event.preventDefault();
  const files = [...fileInput.files];
  if (files.length === 0) {
    hint.textContent = "No file chosen: choose one or more model packages (.tar.gz) first, then press Upload.";
    hint.hidden = false;
    return;
  }
  fileInput.value = "";
  enqueue(files);
});

form.addEventListener("dragover", (event) => {
  event.preventDefault();
  form.classList.add("drop-active");
});
form.addEventListener("dragleave", () => form.classList.remove("drop-active"));
form.addEventListener("drop", (event) => {
  event.preventDefault();
  form.classList.remove("drop-active");
  const files = [...(event.dataTransfer?.files || [])];
  if (files.length > 0) enqueue(files);
});

refresh();
