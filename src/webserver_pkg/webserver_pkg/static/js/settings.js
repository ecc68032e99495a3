// Settings page: console password, tail light colour, event mode (car name, racer queue), About.
import { api, notify, reportError } from "./api.js";

const $ = (id) => document.getElementById(id);

// ---- Password ------------------------------------------------------------------------------------
const form = $("password-form");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const oldPassword = $("old-password").value;
  const newPassword = $("new-password").value;
  if (!oldPassword) return notify("Enter the current password.");
  if (newPassword.length < 8) return notify("The new password must have at least 8 characters.");
  if (newPassword !== $("confirm-password").value) return notify("The two new passwords are different.");
  try {
    await api.post("/api/password", { old_password: oldPassword, new_password: newPassword });
    form.reset();
    notify("Password changed. Other people logged in to this car must log in again.", "info");
  } catch (error) {
    reportError(error);
  }
});

// ---- Tail light ----------------------------------------------------------------------------------
// The palette is the server's (services/event_queue.py TAIL_LIGHTS: name -> RGB), the one the racer queue uses.
const palette = $("palette");
const sameColour = (a, b) => a.every((value, i) => value === b[i]);
let paletteColours = [];
let shownRgb = null;

function showColour(rgb) {
  shownRgb = rgb;
  const match = paletteColours.find((colour) => sameColour(colour.rgb, rgb));
  for (const button of palette.children) {
    button.setAttribute("aria-pressed", String(match !== undefined && button.dataset.name === match.name));
  }
  $("led-current").textContent = match ? `Current colour: ${match.name}` : `Current colour: RGB ${rgb.join(", ")}`;
}

function buildPalette(tailLights) {
  paletteColours = Object.entries(tailLights).map(([name, rgb]) => ({ name, rgb }));
  for (const colour of paletteColours) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "swatch";
    button.dataset.name = colour.name;
    button.setAttribute("aria-pressed", "false");
    const chip = document.createElement("span");
    chip.className = "swatch-chip";
    chip.style.backgroundColor = `rgb(${colour.rgb.join(",")})`;
    button.append(chip, colour.name);
    button.addEventListener("click", async () => {
      const [red, green, blue] = colour.rgb;
      try {
        await api.post("/api/set_led_color", { red, green, blue });
        showColour(colour.rgb);
        document.dispatchEvent(new CustomEvent("car-identity-changed"));
      } catch (error) {
        reportError(error);
      }
    });
    palette.append(button);
  }
  if (shownRgb) showColour(shownRgb);
}

async function loadColour() {
  try {
    const { red, green, blue } = await api.get("/api/get_led_color");
    showColour([red, green, blue]);
  } catch (error) {
    $("led-current").textContent = `Current colour unknown: ${error.message}`;
  }
}

// ---- Event: the car's name and the racer queue -------------------------------------------------------
const identityChanged = () => document.dispatchEvent(new CustomEvent("car-identity-changed"));

function option(value, text = value) {
  const element = document.createElement("option");
  element.value = value;
  element.textContent = text;
  return element;
}

function describeRacer(racer) {
  return `${racer.name}: model ${racer.model}, ${racer.tail_light} tail light`;
}

let warnedProblem = false; // the damaged-queue warning is said once, not at every refresh

function showEvent(event) {
  if (document.activeElement !== $("car-name")) $("car-name").value = event.car_name === event.hostname ? "" : event.car_name;
  $("car-name").placeholder = event.hostname;
  $("event-current").textContent = event.current ? `On the car now: ${describeRacer(event.current)}.` : "No racer on the car yet.";
  const models = $("racer-model");
  const chosenModel = models.value;
  models.replaceChildren(option("", event.models.length ? "Choose a model" : "No models installed"),
    ...event.models.map((name) => option(name)));
  models.value = event.models.includes(chosenModel) ? chosenModel : "";
  const lights = $("racer-tail-light");
  if (!lights.options.length) {
    lights.append(...Object.keys(event.tail_lights).map((name) => option(name)));
    buildPalette(event.tail_lights);
  }
  const list = $("racer-queue");
  list.replaceChildren(...event.queue.map((racer, index) => {
    const item = document.createElement("li");
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", `Remove ${racer.name}`);
    remove.addEventListener("click", () => eventAction(() => api.delete(`/api/event/racers/${index}`)));
    item.append(`${describeRacer(racer)} `, remove);
    return item;
  }));
  $("racer-queue-empty").hidden = event.queue.length > 0;
  $("stop-when-starter-leaves").checked = event.stop_when_starter_leaves;
  $("next-racer").disabled = event.queue.length === 0;
  if (event.problem && !warnedProblem) notify(event.problem, "warning");
  warnedProblem = Boolean(event.problem);
}

async function loadEvent() {
  try {
    showEvent(await api.get("/api/event"));
  } catch (error) {
    reportError(error);
  }
}

// Every change answers with the reason when refused, then the section shows what the car keeps.
async function eventAction(action, done) {
  try {
    await action();
    if (done) done();
  } catch (error) {
    reportError(error);
  }
  await loadEvent();
}

$("car-name-form").addEventListener("submit", (event) => {
  event.preventDefault();
  eventAction(() => api.post("/api/event/car_name", { name: $("car-name").value }), () => {
    notify("Car name saved.", "info");
    identityChanged();
  });
});

$("racer-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const racer = { name: $("racer-name").value, model: $("racer-model").value, tail_light: $("racer-tail-light").value };
  eventAction(() => api.post("/api/event/racers", racer), () => {
    $("racer-name").value = "";
    $("racer-name").focus();
  });
});

$("stop-when-starter-leaves").addEventListener("change", (event) => {
  const on = event.target.checked;
  eventAction(() => api.post("/api/event/settings", { stop_when_starter_leaves: on }), () => {
    $("event-setting-status").textContent = on
      ? "Setting saved: a run now stops when the device that started it goes away."
      : "Setting saved: a run keeps driving when the device that started it goes away.";
  });
});

$("next-racer").addEventListener("click", () => {
  eventAction(() => api.post("/api/event/next"), () => {
    notify("Next racer's model is loading; maximum speed is 0 %.", "info");
    identityChanged();
    loadColour();
  });
});

// ---- About ---------------------------------------------------------------------------------------
function describeCamera(camera) {
  if (!camera) return "unknown";
  if (!camera.connected) return camera.error ? `not connected: ${camera.error}` : "not connected";
  const parts = [camera.stereo ? "stereo, connected" : "connected"];
  if (camera.width && camera.height) parts.push(`${camera.width}×${camera.height}`);
  if (camera.fps) parts.push(`${camera.fps.toFixed(1)} fps`);
  if (camera.source) parts.push(camera.source);
  if (!camera.video_on) parts.push("video off");
  return parts.join(", ");
}

async function loadAbout() {
  try {
    const about = await api.get("/api/get_about");
    const set = (id, value) => {
      $(id).textContent = value === undefined || value === null || value === "" ? "unknown" : String(value);
    };
    set("about-software", about.software_version);
    set("about-hardware", about.hardware_version);
    set("about-serial", about.serial);
    set("about-hostname", about.hostname);
    set("about-ros", about.ros_distro);
    set("about-openvino", about.openvino_version);
    set("about-cpu", about.cpu_count ? `${about.cpu} (${about.cpu_count} cores)` : about.cpu);
    set("about-memory", about.memory_total ? `${(about.memory_total / 2 ** 30).toFixed(1)} GB` : undefined);
    set("about-camera", describeCamera(about.camera_status));
  } catch (error) {
    reportError(error);
  }
}

loadColour();
loadEvent();
loadAbout();
