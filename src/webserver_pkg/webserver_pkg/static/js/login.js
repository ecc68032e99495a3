// Login posts the form with fetch so a wrong password shows the server's reason on the same page.
import { notify } from "./api.js";

const form = document.getElementById("login-form");

// A refused DREM link (?epwd=...) is answered here: its password leaves the address bar and the history.
if (new URLSearchParams(window.location.search).has("epwd")) window.history.replaceState(null, "", "/login");
const submit = document.getElementById("login-submit");

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
    notify(reason);
    form.elements.password.select();
  } catch {
    notify("Cannot reach the car. Check that this device is on the car's network.");
  } finally {
    submit.disabled = false;
  }
});
