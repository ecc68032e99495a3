// Settings page: console password, tail light colour, About.
import { api, notify, reportError } from "./api.js";

const $ = (id) => document.getElementById(id);

// The original console's palette names. The RGB values are chosen for a tail LED, which washes out
// mixed colours: strong primaries, little of the third channel.
const PALETTE = [
  { name: "Red", rgb: [255, 0, 0] },
  { name: "Marigold", rgb: [255, 120, 0] },
  { name: "Orchid Purple", rgb: [180, 40, 255] },
  { name: "Sky Blue", rgb: [0, 170, 255] },
  { name: "Green", rgb: [0, 255, 0] },
  { name: "Violet", rgb: [110, 0, 255] },
  { name: "Lime", rgb: [150, 255, 0] },
  { name: "Default", rgb: [0, 0, 255] },
];

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
const palette = $("palette");
const sameColour = (a, b) => a.every((value, i) => value === b[i]);

function showColour(rgb) {
  const match = PALETTE.find((colour) => sameColour(colour.rgb, rgb));
  for (const button of palette.children) {
    button.setAttribute("aria-pressed", String(match !== undefined && button.dataset.name === match.name));
  }
  $("led-current").textContent = match ? `Current colour: ${match.name}` : `Current colour: RGB ${rgb.join(", ")}`;
}

for (const colour of PALETTE) {
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
    } catch (error) {
      reportError(error);
    }
  });
  palette.append(button);
}

async function loadColour() {
  try {
    const { red, green, blue } = await api.get("/api/get_led_color");
    showColour([red, green, blue]);
  } catch (error) {
    $("led-current").textContent = `Current colour unknown: ${error.message}`;
  }
}

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
loadAbout();
