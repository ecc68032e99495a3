// Control vehicle page: camera, drive mode, model loading, maximum speed, start/stop, manual pad.
import { api, notify, pollWhileVisible, reportError } from "./api.js";
import { DriveSender, attachDrivePad, routeCommand } from "./drivepad.js";
import { LATCHED, describeDriveState } from "./drive_state.js";
import { BLANK, dutyWords, runTime, steeringWords, throttleWords } from "./readout.js";
import { stopCourier } from "./stop_delivery.js";
import { AUTONOMOUS, MANUAL, MODE_LABELS } from "./vocabulary.js";

const $ = (id) => document.getElementById(id);

const LOAD_POLL_MS = 500;
const LOAD_GIVE_UP_S = 120; // the original car took 10-20 s; far beyond that the inference node is gone
const SPEED_STEP = 5;
const CAMERA_RETRY_MS = 3000;
const STATE_POLL_MS = 500; // the readout is live: twice a second
// A state older than this is no longer shown as the car's: "Cannot read the car's state" instead. A request the
// dropped Wi-Fi leaves hanging is given up after STATE_TIMEOUT_MS.
const STATE_STALE_MS = 2000;
const STATE_TIMEOUT_MS = 1500;
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
  const { kind, title, detail, more = "" } = describeDriveState(state);
  $("nav-status").dataset.state = kind;
  $("nav-title").textContent = title;
  $("nav-detail").textContent = detail;
  if ($("nav-more-text").textContent !== more) {
    $("nav-more-text").textContent = more;
    $("nav-more").open = false;
  }
  $("nav-more").hidden = !more;
  $("release-stop").hidden = kind !== LATCHED;
  // A refusal explains one press of Start; once the state it was about has changed it no longer applies.
  if (kind !== shownKind) $("start-reason").hidden = true;
  shownKind = kind;
}
let shownKind = null;

function showNavigation(state) {
  lastState = state;
  showDriveState(state);
  showModelState(state.model);
  showEvent(state.event, state.stop_when_starter_leaves);
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

let lastState = null;
let staleTimer = null;

function showOffline() {
  lastState = null;
  showDriveState(null);
  showReadout(null);
  showRun(null);
}

async function refreshNavigation() {
  let state = null;
  try {
    state = await api.get("/api/navigation_state", { timeoutMs: STATE_TIMEOUT_MS });
  } catch {
    showOffline();
    return;
  }
  clearTimeout(staleTimer);
  staleTimer = setTimeout(showOffline, STATE_STALE_MS); // polls stopped arriving: this state is not current
  showNavigation(state);
  showReadout(state.readout);
  showRun(state);
}

// ---- Drive mode: a change while the car drives ends that run, so the page asks first and says whose it is ------
const WORDS_OF_MODE = { auto: AUTONOMOUS, manual: MANUAL };

function whoseRun(runBy) {
  if (!runBy || !runBy.known) return "a run started outside this console (a ROS tool or the event's fleet link)";
  if (runBy.you) return "the run you started from this device";
  const racer = runBy.racer ? `${runBy.racer}'s run` : "the run";
  return `${racer}, started from ${runBy.device}${runBy.racer ? "" : " (not this one)"}`;
}

function confirmModeChange(mode, state) {
  const dialog = $("confirm-mode");
  const running = MODE_LABELS[state.mode] || state.mode;
  const model = state.mode === AUTONOMOUS && state.model_name ? ` with ${state.model_name}` : "";
  $("confirm-mode-text").textContent = `The car is driving: ${whoseRun(state.run_by)} (${running.toLowerCase()}`
    + `${model}). Switching to ${MODE_LABELS[WORDS_OF_MODE[mode]].toLowerCase()} driving stops that run.`;
  return new Promise((resolve) => {
    const answer = (yes) => {
      dialog.hidden = true;
      resolve(yes);
    };
    $("confirm-mode-ok").onclick = () => answer(true);
    $("confirm-mode-cancel").onclick = () => answer(false);
    dialog.hidden = false;
    $("confirm-mode-cancel").focus();
  });
}

async function changeMode(mode) {
  modeChanging = true;
  try {
    let askFirst = lastState && lastState.known && lastState.started && WORDS_OF_MODE[mode] !== lastState.mode;
    for (;;) {
      if (askFirst && !(await confirmModeChange(mode, lastState))) return;
      pad.releaseAll();
      try {
        // Believed stopped: the car refuses (409) rather than end a run another device started meanwhile.
        await api.post("/api/drive_mode", askFirst ? { drive_mode: mode } : { drive_mode: mode, only_if_stopped: true });
        break;
      } catch (error) {
        if (askFirst || error.status !== 409 || !error.data || !error.data.run_by) throw error;
        await refreshNavigation();
        if (!lastState || !lastState.started) throw error;
        askFirst = true;
      }
    }
    showPanels();
    if (mode === "auto") await loadModelList();
  } catch (error) {
    reportError(error);
  } finally {
    modeChanging = false;
    await refreshNavigation();
  }
}

for (const radio of Object.values(radios)) radio.addEventListener("change", () => changeMode(chosenMode()));

$("release-stop").addEventListener("click", async () => {
  try {
    await api.post("/api/reset_emergency_stop");
    notify("Stop released. Press Start vehicle to drive again.", "info");
  } catch (error) {
    reportError(error);
  }
  await refreshNavigation();
});
document.addEventListener("emergency-stop-pressed", () => {
  pad.releaseAll();
  cancelWaitingStart();
});
document.addEventListener("emergency-stop", () => refreshNavigation());

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
function sayBesideStart(text) {
  const reason = $("start-reason");
  reason.textContent = text;
  reason.hidden = !text;
}

// A Start pressed while the model loads (the next racer's, from any device) waits for the load and then starts,
// or says why it cannot; Stop or STOP meanwhile cancels it.
let waitingStart = null;

function cancelWaitingStart() {
  if (waitingStart) waitingStart.cancelled = true;
  waitingStart = null;
}

async function modelLoadEnded(wait) {
  const started = performance.now();
  for (;;) {
    await sleep(LOAD_POLL_MS);
    if (wait.cancelled) return null;
    await refreshNavigation();
    const model = lastState && lastState.model;
    if (model && model.state !== "loading") return model;
    if ((performance.now() - started) / 1000 > LOAD_GIVE_UP_S) return { state: "error", reason: "no answer" };
  }
}

async function start() {
  cancelWaitingStart();
  sayBesideStart("");
  const model = lastState && lastState.model;
  if (lastState && lastState.mode === AUTONOMOUS && model && model.state === "loading") {
    const wait = (waitingStart = { cancelled: false });
    sayBesideStart(`Starting once ${model.name} has loaded…`);
    const ended = await modelLoadEnded(wait);
    if (wait.cancelled || !ended) return;
    waitingStart = null;
    if (ended.state !== "loaded") {
      sayBesideStart(`Not started: ${model.name} did not load (${ended.reason || "no reason given"}).`);
      return;
    }
    sayBesideStart("");
  }
  try {
    await api.post("/api/start_stop", { start_stop: "start" });
  } catch (error) {
    await refreshNavigation();
    sayBesideStart(`Start refused: ${error.message}`);
    return;
  }
  await refreshNavigation();
}

// A Stop the car did not acknowledge is sent again until it is (stop_delivery.js).
async function stop() {
  pad.releaseAll();
  cancelWaitingStart();
  sayBesideStart("");
  try {
    await stopCourier.deliver("stop");
  } catch (error) {
    sayBesideStart(`Stop refused: ${error.message}`);
  }
  await refreshNavigation();
}
$("start").addEventListener("click", start);
$("stop").addEventListener("click", stop);

// ---- Event mode: the organiser's Next racer beside Start ---------------------------------------------------
function showEvent(event, starterLeavingStops) {
  const button = $("next-racer");
  button.hidden = !event || !event.next_racer;
  if (event && event.next_racer) button.textContent = `Next racer: ${event.next_racer}`;
  $("keeps-driving").textContent = starterLeavingStops
    ? "At this event a run stops when the device that started it goes away (locked, closed or off the network)."
    : KEEPS_DRIVING;
}
const KEEPS_DRIVING = $("keeps-driving").textContent.replace(/\s+/g, " ").trim();

$("next-racer").addEventListener("click", async () => {
  sayBesideStart("");
  try {
    const { current } = await api.post("/api/event/next");
    notify(`${current.name}'s turn: ${current.model} is loading; maximum speed is 0 %.`, "info");
    document.dispatchEvent(new CustomEvent("car-identity-changed"));
  } catch (error) {
    sayBesideStart(`Next racer refused: ${error.message}`);
  }
  await refreshNavigation();
});

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
  // The name alone in the picker, so a phone shows it whole; its details beside Load model.
  for (const model of models) {
    const details = [model.model_training_algorithm, model.model_action_space_type].filter(Boolean).join(", ");
    const option = new Option(model.model_folder_name, model.model_folder_name);
    option.dataset.modelName = model.model_name;
    option.dataset.details = model.is_select_disabled ? "needs a sensor that is not connected" : details;
    option.disabled = Boolean(model.is_select_disabled);
    modelSelect.append(option);
  }
  if ([...modelSelect.options].some((o) => o.value === previous && !o.disabled)) modelSelect.value = previous;
  $("load-model").disabled = models.length === 0;
  showModelDetails();
}

function showModelDetails() {
  const option = modelSelect.selectedOptions[0];
  $("model-details").textContent = option && option.dataset.details ? option.dataset.details : "";
}
modelSelect.addEventListener("change", showModelDetails);

function showLoad({ busy, text, error = false }) {
  $("load-box").hidden = false;
  $("load-progress").hidden = !busy;
  const status = $("load-status");
  status.textContent = text;
  status.classList.toggle("text-error", error);
  status.setAttribute("role", error ? "alert" : "status");
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A load started anywhere (Next racer on another device, a fleet command) is shown from the car's model state,
// as this page's own load is; this page's own load loop says more while it runs.
let ownLoad = false;
let shownModel = "";

function showModelState(model) {
  if (ownLoad || !model) return;
  const key = `${model.state}:${model.name}`;
  if (key === shownModel) return;
  shownModel = key;
  if (model.state === "loading") showLoad({ busy: true, text: `Loading ${model.name}…` });
  else if (model.state === "loaded" && model.name) {
    loadedModel = model.name;
    showLoad({ busy: false, text: `Loaded ${model.name}. Set the maximum speed, then start.` });
  } else if (model.state === "error" && model.reason) {
    showLoad({ busy: false, text: `Could not load ${model.name}: ${model.reason}`, error: true });
  }
}

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
  ownLoad = true;
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
    ownLoad = false;
    shownModel = "";
    refreshNavigation();
  }
}
$("load-model").addEventListener("click", loadSelectedModel);

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
loadModelList();
pollWhileVisible(refreshNavigation, STATE_POLL_MS);
