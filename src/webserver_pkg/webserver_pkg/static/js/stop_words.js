// Why the car stopped by itself, in a racer's words: what happened and what to do. Navigation's reason (its own
// words, with node names and parameters) stays one tap away, under Details, for whoever fixes the car.
//
// The reasons come from navigation_pkg/drive_control.py and peer_watch.py ("<node> restarted while the car was
// started", "<node> silent for 1.2 s (peer_timeout_s 1.0)", "<node>: <its fault> while the car was started",
// "model changed to '<name>'") and from the console's own stop (services/run_owner.py).

// The parts of the car a racer can picture, by node.
const PARTS = {
  servo_node: "the part that drives the wheels and the motor",
  camera_node: "the camera",
  inference_node: "the part that runs the model",
  webserver_node: "the console (the server of this page)",
  navigation_node: "the part that turns the model's choices into steering and speed",
};
const AGAIN = "Nothing is damaged: press Start vehicle to drive again. If it keeps happening, tell the organiser.";

function partOf(reason) {
  const node = Object.keys(PARTS).find((name) => reason.startsWith(name));
  return node ? PARTS[node] : "a part of the car's software";
}

// { title, detail } for a stop the racer did not ask for; null for one they did (or a plain mode change).
export function describeStop(reason, stopNote = "") {
  if (stopNote) {
    return {
      title: "Stopped: the phone that started the run went away",
      detail: "The event's setting stops a run when the device that started it is locked, closed or off the "
        + "network. Press Start vehicle to drive again.",
      more: stopNote,
    };
  }
  if (!reason || reason === "stopped" || reason.startsWith("mode changed")) return null;
  if (reason.startsWith("model changed")) {
    return { title: "Stopped: another model was loaded", detail: "Press Start vehicle to drive it.", more: reason };
  }
  const part = partOf(reason);
  let what = `${part} reported a problem, so the car stopped to be safe.`;
  if (/ restarted\b/.test(reason)) what = `${part} restarted, so the car stopped to be safe.`;
  else if (/ silent for /.test(reason)) what = `${part} stopped answering, so the car stopped to be safe.`;
  else if (/unresponsive|did not run for/.test(reason)) {
    what = `${part} answered too late for a moment (the car's computer was busy), so the car stopped to be safe.`;
  } else if (/no model|model loading|loading/.test(reason)) {
    return { title: "Stopped: no model is ready", detail: "Load a model, then press Start vehicle.", more: reason };
  }
  return { title: "The car stopped itself", detail: `${capitalise(what)} ${AGAIN}`, more: reason };
}

const capitalise = (text) => text.charAt(0).toUpperCase() + text.slice(1);
