// What the Control page says about the car: one state, its words and its colour, from navigation's latched
// state. Every state has its own colour (data-state in the CSS) and only "running" is green, so a page that
// cannot read the car never looks like one that drives. A started car whose driver went away (the tab closed,
// the phone locked) is held at neutral by navigation: that is "held", never a green "Running".
import { describeStop } from "./stop_words.js";
import { AUTONOMOUS, EXTERNAL, MANUAL, MODE_LABELS } from "./vocabulary.js";

export const RUNNING = "running";
export const STOPPED = "stopped";
export const LATCHED = "latched";
export const HELD = "held"; // started, but nothing drives it: navigation holds the throttle at neutral
export const WAITING = "waiting"; // the console runs, navigation has not reported yet
export const OFFLINE = "offline"; // the console itself does not answer

// navigation.neutral_reason is "stopped" after a plain stop: saying it again under "Stopped" tells nothing.
const PLAIN_STOP = "stopped";

// Who should be driving a started car, per mode: what the title says is missing, what the detail names and
// what to do. Short: on a phone the held state must still leave Start, STOP and the speed on the first screen.
const HELD_WORDS = {
  [MANUAL]: { title: "no one is driving", source: "pad command", next: "hold the pad, or press Stop vehicle." },
  [AUTONOMOUS]: { title: "the model is not driving", source: "model output", next: "press Stop vehicle to end the run." },
  [EXTERNAL]: { title: "the application is not driving", source: "command", next: "press Stop vehicle to end the run." },
};

// Started and held at neutral: navigation says so (neutral_reason) and how long its source has been quiet.
function describeHeld(state) {
  const words = HELD_WORDS[state.mode] || HELD_WORDS[MANUAL];
  const age = state.last_command_age_s;
  const quiet = age >= 0 ? `No ${words.source} for ${Math.round(age)} s` : `No ${words.source} yet`;
  return { kind: HELD, title: `Started · ${words.title} (neutral)`, detail: `${quiet}: ${words.next}` };
}

export function describeDriveState(state) {
  if (state === null) {
    return { kind: OFFLINE, title: "Cannot read the car's state", detail: "Check that this device is on the car's network." };
  }
  if (!state.known) {
    return { kind: WAITING, title: "Waiting for the navigation node…", detail: "The car will not drive until it reports." };
  }
  const mode = MODE_LABELS[state.mode] || "unknown mode";
  if (state.emergency_stop) {
    return { kind: LATCHED, title: "Emergency stop latched", detail: "The car will not drive: press Release stop, then Start vehicle." };
  }
  const model = state.mode === AUTONOMOUS && state.model_name ? ` · model ${state.model_name}` : "";
  const reason = state.neutral_reason && state.neutral_reason !== PLAIN_STOP ? state.neutral_reason : "";
  if (state.started && state.neutral_reason) return describeHeld(state);
  if (state.started) return { kind: RUNNING, title: `Running · ${mode}${model}`, detail: "" };
  // A stop the racer did not ask for is said in their words, navigation's own one tap away (`more`).
  const stop = describeStop(reason, state.stop_note);
  if (stop) return { kind: STOPPED, title: `${stop.title} · ${mode}${model}`, detail: stop.detail, more: stop.more };
  return { kind: STOPPED, title: `Stopped · ${mode}${model}`, detail: reason };
}
