// Control vehicle page: camera, drive mode, model loading, maximum speed, start/stop, manual pad.
import { api, notify, pollWhileVisible, reportError } from "./api.js";
import { DriveSender, attachDrivePad, routeCommand } from "./drivepad.js";
import { LATCHED, describeDriveState } from "./drive_state.js";
import { BLANK, dutyWords, runTime, steeringWords, throttleWords } from "./readout.js";
import { AUTONOMOUS, MANUAL } from "./vocabulary.js";

const $ = (id) => document.getElementById(id);

const LOAD_POLL_MS = 500;
const LOAD_GIVE_UP_S = 120; // the original car took 10-20 s; far beyond that the inference node is gone
const SPEED_STEP = 5;
const CAMERA_RETRY_MS = 3000;
const STATE_POLL_MS = 500; // the readout is live: twice a second
const TIMER_TICK_MS = 250;

let modeChanging = false;
let speedPending = false;
let speedDragging = false; // between the max-speed slider's first "input" and its "change" (the release)

// ---- Camera ---------------------------------------------------------------------------------------
const camera = $("camera");
const videoToggle = $("video-toggle");
const cameraOff = $("camera-off");
let cameraRetry = null;

// Only this page's stream opens and closes: the car keeps one camera subscription while anyone watches,
// so closing the stream (toggle off, tab hidden) costs the car nothing.
function updateVideo(message = "Video stream is off.") {
  clearTimeout(cameraRetry);
  const wanted = videoToggle.checked && document.visibilityState === "visible";
  if (wanted && !camera.getAttribute("src")) camera.src = camera.dataset.src;
  if (!wanted) camera.removeAttribute("src");
  camera.hidden = !wanted;
  cameraOff.hidden = wanted;
  cameraOff.textContent = message;
}
camera.addEventListener("error", () => {
  if (!camera.getAttribute("src")) return;
  camera.removeAttribute("src");
  camera.hidden = true;
  cameraOff.hidden = false;
  cameraOff.textContent = "No picture from the camera. Retrying…";
  cameraRetry = setTimeout(() => updateVideo(), CAMERA_RETRY_MS);
});
videoToggle.addEventListener("change", () => updateVideo());
document.addEventListener("visibilitychange", () => updateVideo());
// An MJPEG stream never finishes loading; opened after the page's load event, it does not keep the
// page "loading" forever.
if (document.readyState === "complete") updateVideo();
else window.addEventListener("load", () => updateVideo(), { once: true });

const formatMs = (value) => (value == null ? "–" : `${Math.round(value)} ms`);
pollWhileVisible(async () => {
  try {
    const status = await api.get("/api/get_device_status");
    const fps = status.fps_mean == null ? "–" : status.fps_mean.toFixed(1);
    $("pipeline-stats").textContent =
      `${fps} fps · median latency ${formatMs(status.latency_mean)} (95% under ${formatMs(status.latency_p95)})`;
  } catch {
    $("pipeline-stats").textContent = "Frame rate and latency: not available.";
  }
}, 2000);

// ---- Navigation state, drive mode ---------------------------------------------------------------
const radios = { auto: $("mode-auto"), manual: $("mode-manual") };

function chosenMode() {
  if (radios.auto.checked) return "auto";
  if (radios.manual.checked) return "manual";
  return null;
}

function showPanels() {
  const mode = chosenMode();
  $("auto-panel").hidden = mode !== "auto";
  $("manual-panel").hidden = mode !== "manual";
  $("mode-hint").hidden = mode !== null;
}

// `state` is null when the console did not answer.
function showDriveState(state) {
  const { kind, title, detail } = describeDriveState(state);
  $("nav-status").dataset.state = kind;
  $("nav-title").textContent = title;
  $("nav-detail").textContent = detail;
  $("release-stop").hidden = kind !== LATCHED;
  // A refusal explains one press of Start; once the state it was about has changed it no longer applies.
  if (kind !== shownKind) $("start-reason").hidden = true;
  shownKind = kind;
}
let shownKind = null;

function showNavigation(state) {
  showDriveState(state);
  if (!state.known) return;
  const padHint = $("pad-hint");
  if (!state.started) padHint.textContent = "The car ignores the pad until you press Start vehicle.";
  else if (!state.max_speed) padHint.textContent = "Maximum speed is 0 %: raise it to move.";
  padHint.hidden = state.mode !== MANUAL || (state.started && state.max_speed > 0);

  if (!modeChanging) {
    radios.auto.checked = state.mode === AUTONOMOUS;
    radios.manual.checked = state.mode === MANUAL;
    showPanels();
  }
  // Only a slider being dragged keeps its own value: a focused but idle one shows the car's (a new model's 0 %).
  if (!speedPending && !speedDragging) {
    setSpeedDisplay(Math.round((state.max_speed || 0) * 100));
  }
}

// ---- Live readout and run timer ----------------------------------------------------------------
// Each value is blanked when the car says it stops being live (fresh_for_s), unless a newer poll replaced it:
// a readout never shows an old value, even when the polls stop arriving.
const blankTimers = {};

function showValue(id, text, freshForS) {
  clearTimeout(blankTimers[id]);
  $(id).textContent = text;
  if (text !== BLANK) blankTimers[id] = setTimeout(() => { $(id).textContent = BLANK; }, freshForS * 1000);
}

function showReadout(readout) {
  const { commanded = null, written = null } = readout || {};
  showValue("steering-commanded", commanded ? steeringWords(commanded.angle) : BLANK, commanded?.fresh_for_s);
  showValue("throttle-commanded", commanded ? throttleWords(commanded.throttle) : BLANK, commanded?.fresh_for_s);
  showValue("steering-written", written ? dutyWords(written.steering_us, written.steering_neutral, written.enabled)
    : BLANK, written?.fresh_for_s);
  showValue("throttle-written", written ? dutyWords(written.throttle_us, written.throttle_neutral, written.enabled)
    : BLANK, written?.fresh_for_s);
}

// The car counts the run's seconds (its clock stamped the Start); the page adds the time since it heard them.
let run = null; // { elapsedS, heardAt } while started

function showRunTimer() {
  $("run-timer").textContent = run ? runTime(run.elapsedS + (performance.now() - run.heardAt) / 1000) : BLANK;
}
setInterval(showRunTimer, TIMER_TICK_MS);

function showRun(state) {
  run = state && state.known && state.started ? { elapsedS: state.run_elapsed_s, heardAt: performance.now() } : null;
  showRunTimer();
}

async function refreshNavigation() {
  let state = null;
  try {
    state = await api.get("/api/navigation_state");
  } catch {
    showDriveState(null);
    showReadout(null);
    showRun(null);
    return;
  }
  showNavigation(state);
  showReadout(state.readout);
  showRun(state);
}

for (const radio of Object.values(radios)) {
  radio.addEventListener("change", async () => {
    const mode = chosenMode();
    modeChanging = true;
    pad.releaseAll();
    showPanels();
    try {
      await api.post("/api/drive_mode", { drive_mode: mode });
      if (mode === "auto") await loadModelList();
    } catch (error) {
      reportError(error);
    } finally {
      modeChanging = false;
      await refreshNavigation();
    }
  });
}

$("release-stop").addEventListener("click", async () => {
  try {
    await api.post("/api/reset_emergency_stop");
    notify("Stop released. Press Start vehicle to drive again.", "info");
  } catch (error) {
    reportError(error);
  }
  await refreshNavigation();
});
document.addEventListener("emergency-stop", () => {
  pad.releaseAll();
  refreshNavigation();
});

// ---- Maximum speed, start and stop ---------------------------------------------------------------
const speedInput = $("max-speed");

function setSpeedDisplay(percent) {
  speedInput.value = String(percent);
  $("max-speed-value").textContent = `${speedInput.value} %`;
}

async function sendSpeed() {
  speedPending = true;
  try {
    await api.post("/api/max_nav_throttle", { throttle: Number(speedInput.value) });
  } catch (error) {
    reportError(error);
  } finally {
    speedPending = false;
  }
}

speedInput.addEventListener("input", () => {
  speedDragging = true;
  setSpeedDisplay(Number(speedInput.value));
});
speedInput.addEventListener("change", () => {
  speedDragging = false;
  sendSpeed();
});
$("speed-down").addEventListener("click", () => {
  setSpeedDisplay(Math.max(0, Number(speedInput.value) - SPEED_STEP));
  sendSpeed();
});
$("speed-up").addEventListener("click", () => {
  setSpeedDisplay(Math.min(100, Number(speedInput.value) + SPEED_STEP));
  sendSpeed();
});

// A refused Start says navigation's reason beside the button, where the racer is looking.
async function startStop(action) {
  if (action === "stop") pad.releaseAll();
  const reason = $("start-reason");
  reason.hidden = true;
  try {
    await api.post("/api/start_stop", { start_stop: action });
  } catch (error) {
    await refreshNavigation();
    reason.textContent = `${action === "start" ? "Start" : "Stop"} refused: ${error.message}`;
    reason.hidden = false;
    return;
  }
  await refreshNavigation();
}
$("start").addEventListener("click", () => startStop("start"));
$("stop").addEventListener("click", () => startStop("stop"));

// ---- Models: choose and load ---------------------------------------------------------------------
const modelSelect = $("model-select");
let loadedModel = "";

async function loadModelList() {
  let models = [];
  try {
    ({ models } = await api.get("/api/models"));
  } catch (error) {
    reportError(error);
    return;
  }
  const previous = modelSelect.value || loadedModel;
  modelSelect.replaceChildren();
  if (models.length === 0) {
    modelSelect.append(new Option("No models installed: upload one on the Models page", ""));
  }
  for (const model of models) {
    const details = [model.model_training_algorithm, model.model_action_space_type].filter(Boolean).join(", ");
    let text = details ? `${model.model_folder_name} (${details})` : model.model_folder_name;
    if (model.is_select_disabled) text += ": needs a sensor that is not connected";
    const option = new Option(text, model.model_folder_name);
    option.dataset.modelName = model.model_name;
    option.disabled = Boolean(model.is_select_disabled);
    modelSelect.append(option);
  }
  if ([...modelSelect.options].some((o) => o.value === previous && !o.disabled)) modelSelect.value = previous;
  $("load-model").disabled = models.length === 0;
}

function showLoad({ busy, text, error = false }) {
  $("load-box").hidden = false;
  $("load-progress").hidden = !busy;
  const status = $("load-status");
  status.textContent = text;
  status.classList.toggle("text-error", error);
  status.setAttribute("role", error ? "alert" : "status");
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The PUT only says the request was accepted; the model state says when loading ends and why it failed.
async function loadSelectedModel() {
  const option = modelSelect.selectedOptions[0];
  if (!option || !option.value) {
    notify("Choose a model to load first.");
    return;
  }
  const folder = option.value;
  const button = $("load-model");
  button.disabled = true;
  const started = performance.now();
  showLoad({ busy: true, text: `Loading ${folder}…` });
  try {
    const file = encodeURIComponent(option.dataset.modelName || folder);
    await api.put(`/api/models/${encodeURIComponent(folder)}/${file}`);
    for (;;) {
      await sleep(LOAD_POLL_MS);
      const elapsed = (performance.now() - started) / 1000;
      const state = await api.get("/api/isModelLoading");
      const ours = state.model_name === folder;
      if (state.isModelLoading === "error" && ours) {
        showLoad({ busy: false, text: `Could not load ${folder}: ${state.reason || "no reason given"}`, error: true });
        return;
      }
      if (state.isModelLoading === "loaded" && ours) {
        loadedModel = folder;
        const seconds = state.load_seconds ? state.load_seconds.toFixed(1) : elapsed.toFixed(1);
        showLoad({ busy: false, text: `Loaded ${folder} (${seconds} s). Set the maximum speed, then start.` });
        return;
      }
      if (elapsed > LOAD_GIVE_UP_S) {
        showLoad({ busy: false, text: `No answer after ${LOAD_GIVE_UP_S} s: is the inference node running?`, error: true });
        return;
      }
      showLoad({ busy: true, text: `Loading ${folder}… ${Math.floor(elapsed)} s` });
    }
  } catch (error) {
    showLoad({ busy: false, text: `Could not load ${folder}: ${error.message}`, error: true });
  } finally {
    button.disabled = false;
    refreshNavigation();
  }
}
$("load-model").addEventListener("click", loadSelectedModel);

async function showCurrentModel() {
  try {
    const state = await api.get("/api/isModelLoading");
    if (state.isModelLoading === "loaded" && state.model_name) {
      loadedModel = state.model_name;
      showLoad({ busy: false, text: `Loaded ${state.model_name}.` });
    } else if (state.isModelLoading === "error" && state.reason) {
      showLoad({ busy: false, text: `Last load failed: ${state.reason}`, error: true });
    }
  } catch {
    // The model list below reports an unreachable car; one message is enough.
  }
  await loadModelList();
}

// ---- Manual driving ------------------------------------------------------------------------------
// The route answers 200 with success false when the car's state means the command did nothing (stopped,
// another mode, maximum speed 0): the pad hint already says what to do, and a Start heard a moment later
// than the command must not end the driver's hold, so only other failures release the pad.
const sender = new DriveSender(
  (command) =>
    api.post("/api/manual_drive", routeCommand(command)).catch((error) => {
      if (error.status !== 200) throw error;
    }),
  (error) => {
    pad.releaseAll();
    reportError(error);
  },
);
const pad = attachDrivePad($("drive-pad"), $("pad-knob"), $("pad-readout"), sender, () => radios.manual.checked);

showPanels();
showCurrentModel();
pollWhileVisible(refreshNavigation, STATE_POLL_MS);
