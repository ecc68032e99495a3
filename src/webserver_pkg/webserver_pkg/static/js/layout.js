// Shared by every signed-in page: the STOP buttons, the car's name and colour, the battery level in the top bar.
import { api, notify, pollWhileVisible, reportError } from "./api.js";
import { stopCourier } from "./stop_delivery.js";

// Any element marked data-emergency-stop stops the car; pages listen for "emergency-stop" to refresh. A STOP the car
// did not acknowledge is sent again until it is (stop_delivery.js), and the page says so meanwhile.
for (const button of document.querySelectorAll("[data-emergency-stop]")) {
  button.addEventListener("click", async () => {
    document.dispatchEvent(new CustomEvent("emergency-stop-pressed"));
    try {
      await stopCourier.deliver("emergency");
      notify("Emergency stop: the car is stopped. Press Release stop on the Control page, then Start, to drive again.", "warning");
      document.dispatchEvent(new CustomEvent("emergency-stop"));
    } catch (error) {
      reportError(error);
    }
  });
}

// The event setting that stops a run when the device that started it goes away (Settings > Event): a page that
// reads nothing else often says this device is still here. Hidden pages say nothing: a locked phone has gone.
const PRESENCE_MS = 1000;
if ("presencePing" in document.body.dataset && !document.body.classList.contains("page-home")) {
  pollWhileVisible(() => api.get("/api/presence", { timeoutMs: PRESENCE_MS * 2 }).catch(() => {}), PRESENCE_MS);
}

// The car's name and tail light in the header and the tab title, so several cars' tabs differ. The server
// renders the name; the colour is read here (the servo node answers it), and again after Settings changes either.
async function showIdentity() {
  try {
    const { car_name: name, tail_light: colour, tail_light_rgb: rgb } = await api.get("/api/event/identity");
    for (const element of document.querySelectorAll("[data-car-name]")) element.textContent = name;
    const light = document.getElementById("car-tail-light");
    light.hidden = !colour;
    if (colour) light.style.color = `rgb(${rgb.join(",")})`;
    const parts = document.title.split(" · ");
    parts[parts.length - 2] = colour ? `${name} (${colour})` : name;
    document.title = parts.join(" · ");
  } catch {
    // The header keeps the name the server rendered.
  }
}
showIdentity();
document.addEventListener("car-identity-changed", showIdentity);

const battery = document.getElementById("battery");
const meter = document.getElementById("battery-meter");

const batteryLabel = battery.querySelector("label");
let warnedLow = false;

// The level is 0-11; -1 means the car has no battery reading, so the indicator stays hidden. A low level (the
// system node's low_battery_level) is said in the label and once as a warning until the battery is charged.
pollWhileVisible(async () => {
  try {
    const { battery_level: level, low } = await api.get("/api/get_battery_level");
    battery.hidden = !(Number.isInteger(level) && level >= 0);
    if (!battery.hidden) {
      meter.value = level;
      meter.title = `Battery ${Math.round((level / 11) * 100)}%${low ? ": low, charge or swap it" : ""}`;
      batteryLabel.textContent = low ? "Battery low" : "Battery";
      if (low && !warnedLow) notify("The car's battery is low: charge or swap it before the next run.", "warning");
      warnedLow = Boolean(low);
    }
  } catch {
    battery.hidden = true;
  }
}, 30000);
