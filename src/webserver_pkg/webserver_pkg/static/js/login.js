// Login posts the form with fetch so a wrong password shows the server's reason on the same page. The page
// also counts a lock-out down (the server says how many seconds remain) and offers STOP while the car moves.
import { api, notify, pollWhileVisible, reportError } from "./api.js";
import { stopCourier } from "./stop_delivery.js";

const form = document.getElementById("login-form");

// A refused DREM link (?epwd=...) is answered here: its password leaves the address bar and the history.
if (new URLSearchParams(window.location.search).has("epwd")) window.history.replaceState(null, "", "/login");
const submit = document.getElementById("login-submit");

// The lock-out's countdown: the server's words, with its seconds counted down here once a second.
const lockout = document.getElementById("lockout");
let lockoutTimer = null;

function showLockout(reason, seconds) {
  clearInterval(lockoutTimer);
  let left = seconds;
  const show = () => {
    lockout.hidden = false;
    lockout.dataset.retryAfter = String(left);
    const text = reason.replace(/in \d+ s/, `in ${left} s`);
    lockout.textContent = left > 0 ? text.charAt(0).toUpperCase() + text.slice(1) : "You can try the password again now.";
  };
  show();
  lockoutTimer = setInterval(() => {
    left -= 1;
    show();
    if (left <= 0) clearInterval(lockoutTimer);
  }, 1000);
}

const shownSeconds = Number(lockout.dataset.retryAfter);
if (shownSeconds > 0) showLockout(lockout.textContent, shownSeconds);

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const password = form.elements.password.value;
  if (!password) {
    notify("Enter the car's password.");
    form.elements.password.focus();
    return;
  }
  submit.disabled = true;
  try {
    const response = await fetch("/login", {
      method: "POST",
      body: new URLSearchParams({ password }),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    const data = await response.json().catch(() => null);
    if (response.ok && data && data.redirect) {
      window.location.assign(data.redirect);
      return;
    }
    const reason = data && data.reason ? data.reason : `Login failed (HTTP ${response.status}).`;
    if (data && data.retry_after_s > 0) showLockout(reason, data.retry_after_s);
    else notify(reason);
    form.elements.password.select();
  } catch {
    notify("Cannot reach the car. Check that this device is on the car's network.");
  } finally {
    submit.disabled = false;
  }
});

// STOP for anyone on the car's network while the car is started: it only latches the emergency stop;
// releasing it and starting again need a login.
const stopPanel = document.getElementById("public-stop");
const stopText = document.getElementById("public-stop-text");
const stopButton = document.getElementById("public-stop-button");
let stopped = false;

async function refreshMoving() {
  try {
    const { moving } = await api.get("/api/public/car_moving");
    if (moving && stopped) {
      stopped = false;
      stopText.textContent = "The car is moving.";
    }
    stopButton.hidden = !moving;
    stopPanel.hidden = !moving && !stopped;
  } catch {
    stopPanel.hidden = !stopped;
  }
}

// A STOP the car did not acknowledge (the Wi-Fi dropped) is sent again until it is (stop_delivery.js).
stopButton.addEventListener("click", async () => {
  try {
    await stopCourier.deliver("public");
    stopped = true;
    stopButton.hidden = true;
    stopText.textContent = "Stopped: the emergency stop is latched. Log in and press Release stop on the Control page to drive again.";
  } catch (error) {
    reportError(error);
  }
});

pollWhileVisible(refreshMoving, 1000);
