// Manual driving: a touch/mouse pad and the arrow keys feed one sender that repeats the held command at
// a steady rate (navigation's manual timeout stops the car when the repeats stop, e.g. a locked phone)
// and sends neutral the moment the driver lets go.

const SEND_INTERVAL_MS = 66; // about 15 commands per second while held
const DEAD_ZONE = 0.08; // a finger resting near the centre means "stopped", not a creep

function shape(value) {
  const clipped = Math.max(-1, Math.min(1, value));
  return Math.abs(clipped) < DEAD_ZONE ? 0 : Math.round(clipped * 100) / 100;
}

// Pad position -> command. Up is forward; left is a positive angle (the car's convention: +1 = full left).
function padCommand(rect, clientX, clientY) {
  const x = ((clientX - rect.left) / rect.width) * 2 - 1;
  const y = ((clientY - rect.top) / rect.height) * 2 - 1;
  return { angle: shape(-x), throttle: shape(-y) };
}

const NEUTRAL = Object.freeze({ angle: 0, throttle: 0 });

// The pad's command as /api/manual_drive takes it: that route keeps the original console's meaning, where
// throttle < 0 is forward and angle > 0 is right (the original server negated both), so both flip here.
// No max_speed: the car's own maximum speed applies (a request's max_speed could only lower it).
export function routeCommand({ angle, throttle }) {
  return { angle: 0 - angle, throttle: 0 - throttle };
}

export class DriveSender {
  // send(command) -> Promise; it must reject on failure so the driver is told.
  constructor(send, onError) {
    this.send = send;
    this.onError = onError;
    this.command = NEUTRAL;
    this.timer = null;
    this.inFlight = null;
  }

  get holding() {
    return this.timer !== null;
  }

  hold(command) {
    this.command = command;
    if (this.timer === null) {
      this.tick();
      this.timer = setInterval(() => this.tick(), SEND_INTERVAL_MS);
    }
  }

  // One request at a time: on a slow network commands are skipped, never queued up behind each other.
  tick() {
    if (this.inFlight) return;
    this.inFlight = this.send(this.command)
      .catch((error) => {
        this.release({ quiet: true });
        this.onError(error);
      })
      .finally(() => {
        this.inFlight = null;
      });
  }

  // Neutral goes out at once; if a drive command was still on its way it could land after that
  // neutral, so neutral is sent once more when it has settled.
  // `quiet`: the failure that caused the release is already reported; do not report it twice.
  release({ quiet = false } = {}) {
    const wasHolding = this.timer !== null;
    clearInterval(this.timer);
    this.timer = null;
    this.command = NEUTRAL;
    if (!wasHolding) return;
    const sendNeutral = () =>
      this.send(NEUTRAL).catch((error) => {
        if (!quiet) this.onError(error);
      });
    const pending = this.inFlight;
    sendNeutral();
    if (pending) pending.finally(sendNeutral);
  }
}

const KEY_AXES = {
  ArrowUp: ["throttle", 1],
  ArrowDown: ["throttle", -1],
  ArrowLeft: ["angle", 1],
  ArrowRight: ["angle", -1],
};

// Wires a pad element and the arrow keys to a DriveSender; `enabled()` says whether manual mode is on.
export function attachDrivePad(pad, knob, readout, sender, enabled) {
  let pointerId = null;
  const keysDown = new Set();

  const show = ({ angle, throttle }) => {
    knob.style.left = `${(1 - angle) * 50}%`;
    knob.style.top = `${(1 - throttle) * 50}%`;
    const steer = angle === 0 ? "straight" : `${Math.abs(Math.round(angle * 100))}% ${angle > 0 ? "left" : "right"}`;
    const drive =
      throttle === 0 ? "stopped" : `${Math.abs(Math.round(throttle * 100))}% ${throttle > 0 ? "forward" : "reverse"}`;
    readout.textContent = `Steering ${steer}, throttle ${drive}`;
    pad.classList.toggle("pad-active", sender.holding);
  };

  const releaseAll = () => {
    pointerId = null;
    keysDown.clear();
    sender.release();
    show(NEUTRAL);
  };

  const fromPointer = (event) => {
    const command = padCommand(pad.getBoundingClientRect(), event.clientX, event.clientY);
    sender.hold(command);
    show(command);
  };

  pad.addEventListener("pointerdown", (event) => {
    if (!enabled() || pointerId !== null) return;
    event.preventDefault();
    pointerId = event.pointerId;
    pad.setPointerCapture(event.pointerId);
    pad.focus({ preventScroll: true });
    fromPointer(event);
  });
  pad.addEventListener("pointermove", (event) => {
    if (event.pointerId === pointerId) fromPointer(event);
  });
  for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
    pad.addEventListener(type, (event) => {
      if (event.pointerId === pointerId) releaseAll();
    });
  }
  window.addEventListener("blur", releaseAll);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") releaseAll();
  });

  const fromKeys = () => {
    const command = { angle: 0, throttle: 0 };
    for (const key of keysDown) {
      const [axis, sign] = KEY_AXES[key];
      command[axis] += sign;
    }
    if (keysDown.size === 0) releaseAll();
    else {
      sender.hold(command);
      show(command);
    }
  };
  const typingIn = (target) => target.closest("input, select, textarea, [contenteditable]") !== null;
  document.addEventListener("keydown", (event) => {
    if (!(event.key in KEY_AXES) || !enabled() || typingIn(event.target) || pointerId !== null) return;
    event.preventDefault();
    if (!keysDown.has(event.key)) {
      keysDown.add(event.key);
      fromKeys();
    }
  });
  document.addEventListener("keyup", (event) => {
    if (keysDown.delete(event.key)) fromKeys();
  });

  show(NEUTRAL);
  return { releaseAll };
}
