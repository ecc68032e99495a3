// Models page: upload with progress, the installed list, delete.
import { api, notify, reportError, uploadFile } from "./api.js";
import { SENSOR_LABELS } from "./vocabulary.js";

const $ = (id) => document.getElementById(id);
const body = $("models-body");
const deleteButton = $("delete-button");


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

function render(models) {
  body.replaceChildren();
  $("models-empty").hidden = models.length > 0;
  $("models-table").hidden = models.length === 0;
  for (const model of models) {
    const row = document.createElement("tr");
    row.dataset.model = model.name;
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = model.name;
    box.setAttribute("aria-label", `Select ${model.name}`);
    box.addEventListener("change", updateDeleteButton);
    const sensors = (model.sensors || []).map((s) => SENSOR_LABELS[s] || s).join(", ");
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

function selected() {
  return [...body.querySelectorAll("input[type=checkbox]:checked")].map((box) => box.value);
}

function updateDeleteButton() {
  deleteButton.disabled = selected().length === 0;
}

async function refresh() {
  try {
    render(await api.get("/api/uploaded_model_list"));
  } catch (error) {
    reportError(error);
  }
}

deleteButton.addEventListener("click", async () => {
  const names = selected();
  if (!window.confirm(`Delete ${names.join(", ")} from the car? This cannot be undone.`)) return;
  deleteButton.disabled = true;
  try {
    await api.post("/api/deleteModels", { filenames: names });
    notify(`Deleted ${names.join(", ")}.`, "info");
  } catch (error) {
    reportError(error);
  }
  await refresh();
});

const form = $("upload-form");
const fileInput = $("model-file");
const progress = $("upload-progress");
const statusText = $("upload-status");

function showUpload(text, { fraction = null, error = false } = {}) {
  $("upload-box").hidden = false;
  statusText.textContent = text;
  statusText.classList.toggle("text-error", error);
  statusText.setAttribute("role", error ? "alert" : "status");
  if (fraction === null) progress.removeAttribute("value");
  else progress.value = Math.round(fraction * 100);
  progress.hidden = error;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = fileInput.files[0];
  if (!file) {
    notify("Choose a model file (.tar.gz) to upload.");
    return;
  }
  if (!/\.(tar\.gz|tgz)$/i.test(file.name)) {
    notify(`${file.name} is not a model package: choose the .tar.gz file downloaded from the training console.`);
    return;
  }
  const button = $("upload-button");
  button.disabled = true;
  showUpload(`Uploading ${file.name}… 0 %`, { fraction: 0 });
  try {
    const result = await uploadFile("/api/uploadModels", file, (fraction) => {
      if (fraction < 1) showUpload(`Uploading ${file.name}… ${Math.round(fraction * 100)} %`, { fraction });
      else showUpload(`Checking and installing ${file.name}…`);
    });
    const name = (result && result.model_name) || file.name;
    showUpload(`Installed ${name}. Load it on the Control page.`, { fraction: 1 });
    form.reset();
  } catch (error) {
    showUpload(`Upload of ${file.name} failed: ${error.message}`, { error: true });
  } finally {
    button.disabled = false;
    await refresh();
  }
});

refresh();
