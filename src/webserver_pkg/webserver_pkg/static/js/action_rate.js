// Control page, Decisions per second: the inference node's action rate (max_rate_hz), chosen by name (every camera
// frame, 15 as in training) or as a number, put in force at once, and shown as the car has it in force. The car
// refuses a change while it is started, or one slower than its autonomous timeout allows; the reason is shown.
import { api } from "./api.js";

const $ = (id) => document.getElementById(id);
const select = $("action-rate");
const otherRow = $("action-rate-other-row");
const other = $("action-rate-other");
const status = $("action-rate-status");
const OTHER = "other";

function say(text, refused = false) {
  status.textContent = text;
  status.setAttribute("role", refused ? "alert" : "status");
}

function show(rate) {
  const options = rate.choices.map((choice) => new Option(capitalised(choice.words), String(choice.max_rate_hz)));
  select.replaceChildren(...options, new Option("Another rate…", OTHER));
  const named = rate.choices.some((choice) => choice.max_rate_hz === rate.max_rate_hz);
  select.value = named ? String(rate.max_rate_hz) : OTHER;
  otherRow.hidden = named;
  if (!named) other.value = String(rate.max_rate_hz);
  say(`In force: ${rate.words}.`);
}

const capitalised = (text) => text.charAt(0).toUpperCase() + text.slice(1);

async function refresh() {
  try {
    show(await api.get("/api/action_rate"));
  } catch (error) {
    say(`The car's setting is not known: ${error.message}`, true);
  }
}

// A refused number stays in its box, to be corrected.
async function choose(hz, typed = false) {
  select.disabled = true;
  try {
    show(await api.post("/api/action_rate", { max_rate_hz: hz }));
  } catch (error) {
    await refresh();
    if (typed) {
      select.value = OTHER;
      otherRow.hidden = false;
      other.value = String(hz);
    }
    say(`Not changed: ${error.message}`, true);
  } finally {
    select.disabled = false;
  }
}

select.addEventListener("change", () => {
  if (select.value === OTHER) {
    otherRow.hidden = false;
    other.focus();
    return;
  }
  if (select.value !== "") choose(Number(select.value));
});

function chooseTyped() {
  const hz = Number(other.value);
  if (other.value.trim() === "" || !Number.isFinite(hz)) {
    say("Type how many decisions per second, e.g. 10.", true);
    return;
  }
  choose(hz, true);
}
$("action-rate-set").addEventListener("click", chooseTyped);
other.addEventListener("keydown", (event) => {
  if (event.key === "Enter") chooseTyped();
});

// What another device or a ROS tool set meanwhile shows when this page is looked at again.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") refresh();
});
refresh();
