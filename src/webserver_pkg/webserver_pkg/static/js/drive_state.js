// What the Control page says about the car: one state, its words and its colour, from navigation's latched
// state. Every state has its own colour (data-state in the CSS) and only "running" is green, so a page that
// cannot read the car never looks like one that drives.
import { AUTONOMOUS, MODE_LABELS } from "./vocabulary.js";

export const RUNNING = "running";
export const STOPPED = "stopped";
export const LATCHED = "latched";
export const WAITING = "waiting"; // the console runs, navigation has not reported yet
export const OFFLINE = "offline"; // the console itself does not answer

// navigation.neutral_reason is "stopped" after a plain stop: saying it again under "Stopped" tells nothing.
const PLAIN_STOP = "stopped";

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
  if (state.started) return { kind: RUNNING, title: `Running · ${mode}${model}`, detail: reason };
  return { kind: STOPPED, title: `Stopped · ${mode}${model}`, detail: reason };
}
