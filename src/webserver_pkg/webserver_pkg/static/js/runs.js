// Runs page: the recorded runs, and a replay of one, frame by frame: the picture the model saw, the action it
// chose with its probabilities, and steering and throttle over the run with a cursor on the current frame.
// The car reads its bags a page of frames (or one picture) at a time; this page never asks for a whole bag.
import { api, notify, reportError } from "./api.js";

const $ = (id) => document.getElementById(id);
const PAGE = 1000; // frames per timeline request (the server's maximum)
const STATES = {
  complete: ["Complete", "badge-loaded"],
  incomplete: ["Incomplete", "badge-loading"],
  recording: ["Open", "badge-loading"],
  corrupt: ["Unreadable", "badge-error"],
};

const fmtBytes = (n) => (n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(2)} GB` : n >= 1 << 20
  ? `${(n / (1 << 20)).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`);
const fmtDuration = (s) => (s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${s.toFixed(1)} s`);
const fmtNumber = (v) => (v === null || v === undefined ? "–" : v.toFixed(2));

function cell(label, content) {
  const td = document.createElement("td");
  td.dataset.label = label;
  if (content instanceof Node) td.append(content); else td.textContent = content;
  return td;
}

function button(text, className, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = `button ${className}`;
  b.textContent = text;
  b.addEventListener("click", onClick);
  return b;
}

async function loadList() {
  try {
    const { runs, folder } = await api.get("/api/runs");
    $("runs-folder").textContent = `From ${folder}, newest first.`;
    $("runs-empty").hidden = runs.length > 0;
    $("runs-table").hidden = runs.length === 0;
    $("runs-body").replaceChildren(...runs.map(row));
  } catch (error) {
    reportError(error);
  }
}

function row(run) {
  const tr = document.createElement("tr");
  tr.dataset.run = run.name;
  const [label, badgeClass] = STATES[run.state] || [run.state, "badge-error"];
  const state = document.createElement("span");
  const badge = document.createElement("span");
  badge.className = `badge ${badgeClass}`;
  badge.textContent = label;
  state.append(badge);
  if (run.reason) {
    const note = document.createElement("span");
    note.className = "model-note";
    note.textContent = run.reason;
    state.append(note);
  }
  const actions = document.createElement("span");
  actions.className = "run-actions";
  if (run.state !== "corrupt" && run.frames > 0) {
    actions.append(button("Replay", "button-primary", () => openReplay(run)));
  }
  const download = document.createElement("a");
  download.className = "button";
  download.href = `/api/runs/${encodeURIComponent(run.name)}/download`;
  download.textContent = "Download";
  download.setAttribute("download", `${run.name}.tar.gz`);
  actions.append(download);
  if (run.state !== "recording") actions.append(button("Delete", "button-danger", () => removeRun(run)));
  const name = cell("Model", run.racer ? `${run.model} (${run.racer})` : run.model);
  name.className = "cell-name";
  name.title = run.name;
  tr.append(name, cell("Started", new Date(run.start).toLocaleString()), cell("Duration", fmtDuration(run.duration_s)),
    cell("Frames", String(run.frames)), cell("Laps", run.laps === null ? "–" : String(run.laps)),
    cell("Size", fmtBytes(run.size_bytes)), cell("State", state), cell("Actions", actions));
  return tr;
}

async function removeRun(run) {
  if (!window.confirm(`Delete the run ${run.name}? Its bag is removed from the car.`)) return;
  try {
    await api.delete(`/api/runs/${encodeURIComponent(run.name)}`);
    notify(`Deleted ${run.name}.`, "info");
    await loadList();
  } catch (error) {
    reportError(error);
  }
}

// ---- Replay ----
const replay = { run: null, frames: [], index: 0, playing: false, timer: null, space: "" };

async function openReplay(run) {
  stop();
  replay.run = run;
  replay.frames = [];
  $("replay").hidden = false;
  $("run-list").hidden = true;
  const who = run.racer ? ` (${run.racer})` : "";
  $("replay-heading").textContent = `Replay: ${run.model}${who}, ${new Date(run.start).toLocaleString()}`;
  $("replay-status").textContent = "Reading the run…";
  try {
    let start = 0;
    let total = 1;
    while (start < total && replay.run === run) {
      const page = await api.get(`/api/runs/${encodeURIComponent(run.name)}/timeline?start=${start}&count=${PAGE}`);
      total = page.total;
      replay.space = page.action_space_type;
      replay.frames.push(...page.frames);
      start += page.frames.length;
      if (page.frames.length === 0) break;
      $("replay-status").textContent = `${replay.frames.length} of ${total} frames`;
    }
  } catch (error) {
    $("replay-status").textContent = "";
    reportError(error);
    return;
  }
  if (replay.run !== run) return;
  $("replay-status").textContent = `${replay.frames.length} frames, ${fmtDuration(run.duration_s)}`
    + (run.state === "incomplete" ? " (incomplete: the logger stopped before closing it)" : "");
  const slider = $("replay-slider");
  slider.max = String(Math.max(0, replay.frames.length - 1));
  slider.value = "0";
  show(0);
}

function closeReplay() {
  stop();
  replay.run = null;
  $("replay").hidden = true;
  $("run-list").hidden = false;
}

function show(index) {
  const frame = replay.frames[index];
  if (!frame) return;
  replay.index = index;
  const picture = $("replay-picture");
  picture.src = `/api/runs/${encodeURIComponent(replay.run.name)}/frame/${index}`;
  picture.dataset.frame = String(index);
  $("replay-frame-label").textContent = `Frame ${index + 1} of ${replay.frames.length} · ${frame.t.toFixed(2)} s`;
  $("replay-slider").value = String(index);
  const continuous = replay.space === "continuous";
  $("replay-action").textContent = continuous ? "(continuous)" : frame.action >= 0 ? String(frame.action) : "–";
  bars(frame, continuous);
  $("replay-steering").textContent = fmtNumber(frame.steering);
  $("replay-throttle").textContent = fmtNumber(frame.throttle);
  plot(index);
}

function bars(frame, continuous) {
  const items = frame.outputs.map((value, i) => {
    const li = document.createElement("li");
    li.className = i === frame.action ? "replay-bar chosen" : "replay-bar";
    const name = document.createElement("span");
    name.className = "replay-bar-name";
    name.textContent = continuous ? (i === 0 ? "steer" : "speed") : String(i);
    const track = document.createElement("span");
    track.className = "replay-bar-track";
    const fill = document.createElement("span");
    fill.className = "replay-bar-fill";
    const share = continuous ? (value + 1) / 2 : value;
    fill.style.width = `${Math.max(0, Math.min(1, share)) * 100}%`;
    track.append(fill);
    const number = document.createElement("span");
    number.className = "replay-bar-value";
    number.textContent = continuous ? value.toFixed(2) : `${Math.round(value * 100)}%`;
    li.append(name, track, number);
    return li;
  });
  $("replay-bars").replaceChildren(...items);
}

function plot(index) {
  const canvas = $("replay-plot");
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  const frames = replay.frames;
  const last = frames.length ? frames[frames.length - 1].t || 1 : 1;
  const x = (t) => 4 + (t / last) * (width - 8);
  const y = (v) => height / 2 - v * (height / 2 - 6);
  ctx.clearRect(0, 0, width, height);
  ctx.strokeStyle = "#d6dae1";
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(0, y(0));
  ctx.lineTo(width, y(0));
  ctx.stroke();
  for (const [key, colour] of [["steering", "#0b63ce"], ["throttle", "#1d7f3b"]]) {
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    let drawing = false;
    for (const f of frames) {
      if (f[key] === null) { drawing = false; continue; }
      if (drawing) ctx.lineTo(x(f.t), y(f[key])); else ctx.moveTo(x(f.t), y(f[key]));
      drawing = true;
    }
    ctx.stroke();
  }
  const cursor = x(frames[index].t);
  ctx.strokeStyle = "#c4161c";
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(cursor, 0);
  ctx.lineTo(cursor, height);
  ctx.stroke();
  canvas.dataset.cursorX = cursor.toFixed(1);
}

// Play at the recorded pace: the next frame is shown when its time comes and the current picture has loaded.
function play() {
  if (replay.index >= replay.frames.length - 1) show(0);
  replay.playing = true;
  $("replay-play").textContent = "Pause";
  const step = () => {
    if (!replay.playing) return;
    const next = replay.index + 1;
    if (next >= replay.frames.length) { stop(); return; }
    const wait = Math.max(0, (replay.frames[next].t - replay.frames[replay.index].t) * 1000);
    replay.timer = setTimeout(() => {
      const picture = $("replay-picture");
      show(next);
      if (picture.complete) step(); else picture.addEventListener("load", step, { once: true });
    }, wait);
  };
  step();
}

function stop() {
  replay.playing = false;
  clearTimeout(replay.timer);
  $("replay-play").textContent = "Play";
}

$("replay-slider").addEventListener("input", (event) => { stop(); show(Number(event.target.value)); });
$("replay-play").addEventListener("click", () => (replay.playing ? stop() : play()));
$("replay-close").addEventListener("click", closeReplay);
$("replay-picture").addEventListener("error", () => {
  if (replay.run) $("replay-status").textContent = `Frame ${replay.index + 1} could not be read from the bag.`;
});
$("runs-refresh").addEventListener("click", loadList);
loadList();
