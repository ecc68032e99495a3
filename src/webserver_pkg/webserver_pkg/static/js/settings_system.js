// Settings page: the car's network and SSH (the system node's parts).
import { api, notify, reportError } from "./api.js";

const $ = (id) => document.getElementById(id);
const BARS = ["", "▂", "▂▄", "▂▄▆", "▂▄▆█"];

async function showNetwork() {
  try {
    const details = await api.get("/api/get_network_details");
    $("network-ssid").textContent = details.SSID || "not on Wi-Fi";
    $("network-ip").textContent = details.ip_address || "–";
    $("network-usb").textContent = details.is_usb_connected ? "connected" : "not connected";
  } catch (error) {
    $("network-ssid").textContent = "unknown";
    reportError(error);
  }
}

async function listNetworks() {
  const select = $("wifi-name");
  try {
    const networks = await api.get("/api/available_wifi_info");
    select.replaceChildren(...networks.map((network) => {
      const option = document.createElement("option");
      option.value = network.ssid;
      option.textContent = `${network.ssid}  ${BARS[network.strength] || ""}  (${network.security_info})`;
      return option;
    }));
  } catch (error) {
    reportError(error);
  }
}

$("wifi-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = $("wifi-name").value;
  if (!name) return notify("Choose the network to join.");
  const button = $("wifi-join");
  button.disabled = true;
  $("wifi-result").textContent = `Joining ${name}…`;
  try {
    const { ip_address: address } = await api.post("/api/wifi_reset",
      { wifi_name: name, wifi_password: $("wifi-password").value });
    $("wifi-password").value = "";
    $("wifi-result").textContent = `Joined ${name}: the car is at ${address}.`;
    await showNetwork();
  } catch (error) {
    $("wifi-result").textContent = "";
    reportError(error);
  } finally {
    button.disabled = false;
  }
});

// ---- SSH -----------------------------------------------------------------------------------------
let sshEnabled = false;

async function showSsh() {
  try {
    const [{ isSshEnabled: enabled }, { isDefaultSshPasswordChanged: changed }] = await Promise.all([
      api.get("/api/isSshEnabled"), api.get("/api/isSshDefaultPasswordChanged")]);
    sshEnabled = enabled;
    $("ssh-state").textContent = `SSH is ${enabled ? "on" : "off"}.` +
      (changed ? "" : " The login password is still the default: change it before turning SSH on.");
    $("ssh-toggle").textContent = enabled ? "Turn SSH off" : "Turn SSH on";
    $("ssh-toggle").disabled = false;
  } catch (error) {
    reportError(error);
  }
}

$("ssh-toggle").addEventListener("click", async () => {
  try {
    await api.post(sshEnabled ? "/api/disableSsh" : "/api/enableSsh");
  } catch (error) {
    reportError(error);
  }
  await showSsh();
});

$("ssh-password-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const newPassword = $("ssh-new-password").value;
  if (newPassword.length < 8) return notify("The new SSH password must have at least 8 characters.");
  try {
    await api.post("/api/resetSshPassword", { oldPassword: $("ssh-old-password").value, newPassword });
    event.target.reset();
    notify("SSH password changed.", "info");
    await showSsh();
  } catch (error) {
    reportError(error);
  }
});

// ---- Software update -----------------------------------------------------------------------------
const STATUS_WORDS = { installing: "Installing", verifying: "Checking the new version", switching: "Switching over",
  complete: "Updated: the new version runs from the car's next start", failed: "The update failed: this version stays" };

function watchUpdate() {
  const stream = new EventSource("/api/update_status");
  stream.onmessage = (event) => {
    const [, status, percent] = /^status:(\w+)\|update_pct:(\d+)$/.exec(event.data) || [];
    if (!status || status === "idle") return stream.close();
    if (status === "complete") showUpdateAvailable();
    $("update-bar").hidden = false;
    $("update-bar").value = Number(percent);
    $("update-progress").textContent = `${STATUS_WORDS[status] || status} (${percent} %)`;
    if (status === "complete" || status === "failed") stream.close();
  };
  stream.onerror = () => stream.close();
}

// What the car can do decides what the card offers: no button that cannot work.
const USB_WORDS = "This car takes new versions from a USB stick: copy the version you were given into a folder "
  + "named update on the stick, put the stick in the car, then press Install from the USB stick.";

async function showUpdateAvailable() {
  const line = $("update-available");
  const button = $("update-start");
  try {
    const { status, version, updates } = await api.get("/api/is_software_update_available");
    button.hidden = updates === "off";
    button.disabled = updates === "on" && !status;
    if (updates === "off") {
      line.textContent = "Software updates are off on this car: its owner installs new versions.";
      $("update-help").hidden = true;
    } else if (updates === "usb_only") {
      line.textContent = USB_WORDS;
      button.textContent = "Install from the USB stick";
    } else {
      line.textContent = status ? `Update available: version ${version}.` : "This car runs the newest version.";
      button.textContent = status ? `Install version ${version}` : "Install the update";
    }
  } catch (error) {
    line.textContent = `Cannot tell whether a new version is out: ${error.message}`;
    button.disabled = false; // a USB stick's version may still be there
  }
}

$("update-start").addEventListener("click", async () => {
  try {
    const { message } = await api.post("/api/begin_software_update");
    $("update-progress").textContent = message;
    watchUpdate();
  } catch (error) {
    reportError(error);
  }
});

showNetwork();
listNetworks();
showSsh();
showUpdateAvailable();
watchUpdate();
