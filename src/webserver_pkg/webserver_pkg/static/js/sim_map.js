// Control page: the closed-loop simulator's map (track from above, the car's live position and heading), lap
// counter, last and best lap, off-track count and Reset. Shown only while a simulator runs: a real car's console
// answers 404 and the card stays hidden (asked again now and then, in case the stack is restarted with one).
import { api, notify, pollWhileVisible, reportError } from "./api.js";

const $ = (id) => document.getElementById(id);
const card = $("sim-card");
const canvas = $("sim-map");
const context = canvas.getContext("2d");

const POLL_MS = 250;
const ABSENT_RECHECK_MS = 10000;
const MARGIN_PX = 12;
const COLOURS = { floor: "#6f9c78", asphalt: "#2f3b4c", tape: "#e9ecef", centre: "#f0a30a", car: "#e4002b",
  carOff: "#ff8c00", start: "#ffffff" };

let track = null;
let transform = null;
let absentUntil = 0;

const seconds = (value) => (value == null ? "–" : `${value.toFixed(2)} s`);

function fit(outline) {
  const points = outline.outer.concat(outline.inner);
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const minX = Math.min(...xs);
  const maxY = Math.max(...ys);
  const width = Math.max(...xs) - minX;
  const height = maxY - Math.min(...ys);
  canvas.height = Math.round(canvas.width * Math.min(1, (height + 0.4) / (width + 0.4)));
  const scale = Math.min((canvas.width - 2 * MARGIN_PX) / width, (canvas.height - 2 * MARGIN_PX) / height);
  const offsetX = (canvas.width - scale * width) / 2;
  const offsetY = (canvas.height - scale * height) / 2;
  // Track metres to canvas pixels, y up on the track and down on the canvas.
  return { scale, toPixel: ([x, y]) => [offsetX + (x - minX) * scale, offsetY + (maxY - y) * scale] };
}

function path(points) {
  context.beginPath();
  points.forEach((point, index) => {
    const [u, v] = transform.toPixel(point);
    if (index === 0) context.moveTo(u, v);
    else context.lineTo(u, v);
  });
  context.closePath();
}

function drawTrack() {
  context.fillStyle = COLOURS.floor;
  context.fillRect(0, 0, canvas.width, canvas.height);
  path(track.outer);
  context.fillStyle = COLOURS.asphalt;
  context.fill();
  path(track.inner);
  context.fillStyle = COLOURS.floor;
  context.fill();
  context.lineWidth = Math.max(1, 0.05 * transform.scale);
  context.strokeStyle = COLOURS.tape;
  path(track.outer);
  context.stroke();
  path(track.inner);
  context.stroke();
  context.setLineDash([0.1 * transform.scale, 0.1 * transform.scale]);
  context.strokeStyle = COLOURS.centre;
  path(track.centre);
  context.stroke();
  context.setLineDash([]);
  const [a, b] = [transform.toPixel(track.inner[0]), transform.toPixel(track.outer[0])];
  context.strokeStyle = COLOURS.start;
  context.lineWidth = Math.max(2, 0.06 * transform.scale);
  context.beginPath();
  context.moveTo(...a);
  context.lineTo(...b);
  context.stroke();
}

function drawCar(state) {
  const [u, v] = transform.toPixel([state.pose.x, state.pose.y]);
  const size = Math.max(7, 0.3 * transform.scale);
  // Canvas y points down: the track's counter-clockwise yaw turns clockwise on the canvas.
  const angle = -state.pose.yaw;
  context.save();
  context.translate(u, v);
  context.rotate(angle);
  context.beginPath();
  context.moveTo(size, 0);
  context.lineTo(-size * 0.6, size * 0.55);
  context.lineTo(-size * 0.6, -size * 0.55);
  context.closePath();
  context.fillStyle = state.on_track ? COLOURS.car : COLOURS.carOff;
  context.fill();
  context.lineWidth = 1.5;
  context.strokeStyle = "#ffffff";
  context.stroke();
  context.restore();
  // Where the car is drawn, for tests and for anyone reading the page's state.
  canvas.dataset.carX = u.toFixed(1);
  canvas.dataset.carY = v.toFixed(1);
}

function showFigures(state) {
  $("sim-laps").textContent = String(state.laps);
  $("sim-last").textContent = seconds(state.last_lap_s);
  $("sim-best").textContent = seconds(state.best_lap_s);
  $("sim-off").textContent = String(state.off_track);
  $("sim-status").textContent = state.on_track
    ? `${state.progress.toFixed(0)} % of lap ${state.laps + 1} · ${state.speed_m_s.toFixed(2)} m/s`
    : "Off the track: the car is put back in a moment.";
  canvas.setAttribute("aria-label", `Map of the ${state.track} track: the car is at ${state.progress.toFixed(0)} % `
    + `of lap ${state.laps + 1}${state.on_track ? "" : ", off the track"}`);
}

async function refresh() {
  if (Date.now() < absentUntil) return;
  let state;
  try {
    state = await api.get("/api/sim/state");
  } catch (error) {
    if (error.status === 404) {
      card.hidden = true;
      absentUntil = Date.now() + ABSENT_RECHECK_MS;
    } else {
      $("sim-status").textContent = "Simulator state: not available.";
    }
    return;
  }
  try {
    if (!track || track.name !== state.track) {
      track = await api.get("/api/sim/track");
      transform = fit(track);
    }
  } catch {
    $("sim-status").textContent = "The track's map is not available.";
    return;
  }
  card.hidden = false;
  drawTrack();
  drawCar(state);
  showFigures(state);
}

$("sim-reset").addEventListener("click", async () => {
  try {
    await api.post("/api/sim/reset");
    notify("The car is back on the start line; laps cleared.", "info");
    await refresh();
  } catch (error) {
    reportError(error);
  }
});

pollWhileVisible(refresh, POLL_MS);
