// Calibration page: the steering and speed wizards. Sliders move the wheels live with raw values (the car
// must be in calibration mode). Opening the page changes nothing on the car: Calibrate asks for calibration
// mode, which the car refuses, with the reason, while it is started. Done saves, Cancel puts the wheels back
// on the saved centre / stopped value and keeps the saved calibration. The page says the wheels moved only
// once the car has answered: progress while it has not, the reason when it refuses.
import { api, notify, reportError } from "./api.js";
import {
  describeAngle,
  estimatedSpeed,
  fromSaved,
  isReversed,
  MODEL_MAX_STEERING_DEGREES,
  rangeFor,
  rawValue,
  reversed,
  toSaved,
  unitsLeft,
  withRawValue,
} from "./calibration_model.js";

const $ = (id) => document.getElementById(id);
const saved = { angle: null, throttle: null };
const SPIN_SHARE = 0.4; // "hold to spin" runs at 40 % of the forward distance: visible, not fast

// Sends only the newest value: dragging a slider must not queue up a backlog of old positions. `report` hears
// each value's progress: "moving" when sent, then "moved" once the car took it (and no newer value waits) or
// "refused" with the car's reason.
class WheelMover {
  constructor(channel) {
    this.channel = channel;
    this.pending = null;
    this.sending = null;
    this.sent = 0; // values sent so far: only the newest one's answer is reported
    this.report = () => {};
  }

  move(pwm) {
    this.pending = pwm;
    if (!this.sending) this.sending = this.flush();
    return this.sending;
  }

  // A stop goes at once, not queued behind a move still waiting for its write: the car ends that older move
  // (answering it 409) and never sends its value again.
  stop(pwm, options = {}) {
    this.pending = null;
    return this.send(pwm, options);
  }

  async send(pwm, options = {}) {
    const number = ++this.sent;
    this.report("moving", pwm);
    try {
      await api.post(`/api/adjust_calibrating_wheels/${this.channel}`, { pwm }, options);
      if (number === this.sent && this.pending === null) this.report("moved", pwm);
    } catch (error) {
      if (number === this.sent) this.report("refused", pwm, error);
    }
  }

  async flush() {
    while (this.pending !== null) {
      const pwm = this.pending;
      this.pending = null;
      await this.send(pwm);
    }
    this.sending = null;
  }
}

const movers = { angle: new WheelMover("angle"), throttle: new WheelMover("throttle") };

const WHEEL_WORDS = {
  moving: (pwm) => `Moving the wheels to ${pwm}…`,
  moved: (pwm) => `The wheels are at ${pwm}.`,
  refused: (pwm, error) => `The wheels did not move: ${error.message}`,
};

// Sliders are drawn so that their left end is the car's left (steering) or its back (speed).
function rightToLeft(channel, polarity) {
  return channel === "angle" ? polarity > 0 : polarity < 0;
}

class Wizard {
  constructor(section, { onChange = () => {} } = {}) {
    this.section = section;
    this.channel = section.dataset.channel;
    this.mover = movers[this.channel];
    this.onChange = onChange;
    this.steps = [...section.querySelectorAll(".wizard-step")];
    this.marks = [...section.querySelectorAll(".wizard-progress li")];
    this.sliders = [...section.querySelectorAll("input[type=range]")];
    this.state = null;
    this.index = 0;
    this.wheels = section.querySelector("[data-wheels-status]");
    this.holdTimer = null;
    this.mover.report = (kind, pwm, error) => {
      if (!this.open) return;
      clearTimeout(this.holdTimer);
      this.wheels.textContent = this.channel === "throttle" && kind === "moved" ? this.spinWords(pwm)
        : WHEEL_WORDS[kind](pwm, error);
      this.wheels.dataset.kind = kind;
      if (kind === "refused") $("calibration-status").textContent = ""; // it may no longer be true
      // The car holds one value for hold_s (servo_core.CALIBRATION_HOLD_S), then stops the wheels by itself.
      if (this.channel === "throttle" && kind === "moved" && pwm !== this.state.mid) {
        const holdS = saved.throttle.hold_s;
        this.holdTimer = setTimeout(() => {
          this.wheels.textContent = `The wheels stopped after ${holdS} s, as the car stops them by itself. Move `
            + "the slider, or tap ◀ ▶, to spin them again.";
          this.wheels.dataset.kind = "held";
        }, holdS * 1000);
      }
    };

    for (const slider of this.sliders) {
      slider.addEventListener("input", () => this.setField(slider.dataset.field, Number(slider.value)));
    }
    for (const nudge of section.querySelectorAll("[data-nudge]")) {
      nudge.addEventListener("click", () => {
        const slider = $(nudge.dataset.for);
        const step = Number(nudge.dataset.nudge) * (slider.classList.contains("rtl") ? -1 : 1);
        this.setField(slider.dataset.field, Number(slider.value) + step);
      });
    }
    const on = (action, handler) => {
      for (const button of section.querySelectorAll(`[data-action="${action}"]`)) {
        button.addEventListener("click", handler);
      }
    };
    on("cancel", () => this.cancel());
    on("previous", () => this.show(this.index - 1));
    on("next", () => this.show(this.index + 1));
    on("done", () => this.done());
    on("stop-wheels", () => this.mover.move(this.state.mid));
    for (const box of section.querySelectorAll(".wizard-step input[type=checkbox]:not([role=switch])")) {
      box.addEventListener("change", () => this.updateButtons());
    }
  }

  get open() {
    return !this.section.hidden;
  }

  // Where the wheels spin, in the wizard's own numbers: the distance from the stopped value, and the value sent.
  spinWords(pwm) {
    const mid = this.state.mid;
    if (pwm === mid) return `The wheels are at ${pwm}, the stopped value.`;
    const forward = (pwm - mid) * (this.state.polarity > 0 ? 1 : -1) > 0;
    return `The wheels spin ${forward ? "forward" : "backward"} at ${Math.abs(pwm - mid)} from the stopped value `
      + `(value ${pwm}) for up to ${saved.throttle.hold_s} s: Stop wheels stops them.`;
  }

  // Saved values can fall between console units (they are kept in ns); the sliders move in whole units.
  start() {
    const { mid, min, max, polarity } = saved[this.channel];
    this.state = fromSaved({ mid: Math.round(mid), min: Math.round(min), max: Math.round(max), polarity });
    this.startMid = this.state.mid;
    this.wheels.textContent = "";
    for (const box of this.section.querySelectorAll("input[type=checkbox]")) box.checked = false;
    $("calibration-overview").hidden = true;
    this.section.hidden = false;
    this.show(0);
    this.section.querySelector("h2").focus();
  }

  close() {
    clearTimeout(this.holdTimer);
    this.section.hidden = true;
    $("calibration-overview").hidden = false;
  }

  setField(field, raw) {
    const { lo, hi } = rangeFor(this.state, field, this.channel);
    const value = Math.max(lo, Math.min(hi, Math.round(raw)));
    this.state = withRawValue(this.state, field, value);
    this.sync();
    this.mover.move(rawValue(this.state, field));
  }

  sync() {
    for (const slider of this.sliders) {
      const { lo, hi } = rangeFor(this.state, slider.dataset.field, this.channel);
      slider.min = String(lo);
      slider.max = String(hi);
      slider.value = String(rawValue(this.state, slider.dataset.field));
      slider.classList.toggle("rtl", rightToLeft(this.channel, this.state.polarity));
      // Speed ends are shown as their distance from the stopped value (forward 30, never "forward -42").
      const field = slider.dataset.field;
      const shown = this.channel === "throttle" && field !== "mid" ? this.state[field] : slider.value;
      this.section.querySelector(`[data-value-of="${slider.id}"]`).textContent = shown;
      const angle = this.section.querySelector(`[data-angle-of="${slider.id}"]`);
      if (angle) angle.textContent = this.angleWords(slider.dataset.field);
    }
    this.onChange(this);
  }

  // The centre is judged against the centre the wizard began with; the ends against the centre being set.
  angleWords(field) {
    const raw = rawValue(this.state, field);
    return field === "mid"
      ? describeAngle(unitsLeft(this.state, raw, this.startMid), { from: "the saved centre" })
      : describeAngle(unitsLeft(this.state, raw), { range: true });
  }

  // Entering a step puts the wheels where that step starts: steering shows the value being set; speed
  // steps always start stopped, the wheels only spin when the slider moves.
  show(index) {
    this.index = Math.max(0, Math.min(this.steps.length - 1, index));
    this.steps.forEach((step, i) => {
      step.hidden = i !== this.index;
    });
    this.marks.forEach((mark, i) => {
      mark.classList.toggle("done", i < this.index);
      if (i === this.index) mark.setAttribute("aria-current", "step");
      else mark.removeAttribute("aria-current");
    });
    this.sync();
    this.updateButtons();
    const slider = this.steps[this.index].querySelector("input[type=range]");
    const startAt = this.channel === "angle" && slider ? slider.dataset.field : "mid";
    this.mover.move(rawValue(this.state, startAt));
  }

  updateButtons() {
    const last = this.index === this.steps.length - 1;
    const required = this.steps[this.index].dataset.requires;
    const button = (action) => this.section.querySelector(`.wizard-buttons [data-action="${action}"]`);
    button("previous").hidden = this.index === 0;
    button("next").hidden = last;
    button("done").hidden = !last;
    button("next").disabled = Boolean(required) && !$(required).checked;
  }

  async cancel() {
    this.close();
    await this.mover.move(saved[this.channel].mid);
    notify("Calibration cancelled: the saved values are unchanged.", "info");
  }

  async done() {
    const values = toSaved(this.state);
    const doneButton = this.section.querySelector('[data-action="done"]');
    doneButton.disabled = true;
    try {
      await api.post(`/api/set_calibration/${this.channel}`, values);
      saved[this.channel] = { ...saved[this.channel], ...values, defaults: false };
      showSaved();
      this.close();
      notify(`${this.channel === "angle" ? "Steering" : "Speed"} calibration saved.`, "info");
    } catch (error) {
      reportError(error);
    } finally {
      doneButton.disabled = false;
      await this.mover.move(this.state.mid);
    }
  }
}

function showSaved() {
  if (saved.angle) {
    const state = fromSaved(saved.angle);
    $("steering-mid-now").textContent = state.mid;
    $("steering-left-now").textContent = rawValue(state, "pos");
    $("steering-right-now").textContent = rawValue(state, "neg");
    $("steering-left-angle").textContent = describeAngle(state.pos);
    $("steering-right-angle").textContent = describeAngle(-state.neg);
    $("steering-defaults").hidden = !saved.angle.defaults;
  }
  if (saved.throttle) {
    const state = fromSaved(saved.throttle);
    const speed = estimatedSpeed(state.pos, saved.throttle.speed_m_s_per_unit);
    $("speed-mid-now").textContent = state.mid;
    $("speed-forward-now").textContent = `${state.pos} from stopped`;
    $("speed-forward-speed").textContent = `about ${speed.centre.toFixed(1)} m/s`;
    $("speed-backward-now").textContent = `${state.neg} from stopped`;
    $("speed-direction-now").textContent = isReversed(state, saved.throttle.stock_polarity) ? "Yes" : "No";
    $("speed-defaults").hidden = !saved.throttle.defaults;
  }
}

const steering = new Wizard($("steering-wizard"));
const speed = new Wizard($("speed-wizard"), {
  onChange: (wizard) => {
    const { low, high, band } = estimatedSpeed(wizard.state.pos, saved.throttle.speed_m_s_per_unit);
    $("speed-estimate").textContent = `Estimated speed: ${low.toFixed(1)}–${high.toFixed(1)} m/s (${band})`;
    $("speed-reverse").checked = isReversed(wizard.state, saved.throttle.stock_polarity);
  },
});

// Forward direction: the wheels spin only while the button is held, like a dead man's switch.
const spinButton = $("speed-spin");
let spinning = false;
function spinForward() {
  spinning = true;
  const distance = Math.max(1, Math.round(speed.state.pos * SPIN_SHARE));
  const sign = speed.state.polarity > 0 ? 1 : -1;
  speed.mover.move(speed.state.mid + sign * distance);
}
function stopSpin() {
  if (!spinning) return;
  spinning = false;
  speed.mover.stop(speed.state.mid);
}
spinButton.addEventListener("pointerdown", (event) => {
  spinButton.setPointerCapture(event.pointerId);
  spinForward();
});
for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) spinButton.addEventListener(type, stopSpin);
spinButton.addEventListener("keydown", (event) => {
  if ((event.key === " " || event.key === "Enter") && !event.repeat) {
    event.preventDefault();
    spinForward();
  }
});
spinButton.addEventListener("keyup", stopSpin);
spinButton.addEventListener("blur", stopSpin);
$("speed-reverse").addEventListener("change", () => {
  speed.state = reversed(speed.state);
  speed.sync();
  if (spinning) spinForward();
});

// A phone that locks or a tab that closes must not leave the wheels spinning.
function stopWheelsNow() {
  if (!speed.open) return;
  spinning = false;
  speed.mover.stop(speed.state.mid, { keepalive: true });
}
window.addEventListener("pagehide", stopWheelsNow);
document.addEventListener("emergency-stop", stopWheelsNow); // the raw value would outlive the stop
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState !== "visible") stopWheelsNow();
});

// The explicit step into calibration: a refusal (the car is driving) keeps the wizard closed and says why.
async function calibrate(wizard) {
  const buttons = [$("steering-calibrate"), $("speed-calibrate")];
  const status = $("calibration-status");
  for (const button of buttons) button.disabled = true;
  status.textContent = "Putting the car in calibration mode…";
  try {
    await api.post("/api/set_calibration_mode");
    status.textContent = "The car is in calibration mode: the wheels follow the sliders.";
    wizard.start();
  } catch (error) {
    status.textContent = "";
    notify(`Not calibrating: ${error.message}`);
  } finally {
    for (const button of buttons) button.disabled = false;
  }
}

async function loadCalibration() {
  try {
    const [angle, throttle] = await Promise.all([
      api.get("/api/get_calibration/angle"),
      api.get("/api/get_calibration/throttle"),
    ]);
    const keep = ({ mid, min, max, polarity, defaults, stock_polarity, hold_s, speed_m_s_per_unit }) =>
      ({ mid, min, max, polarity, defaults, stock_polarity, hold_s, speed_m_s_per_unit });
    saved.angle = keep(angle);
    saved.throttle = keep(throttle);
    showSaved();
    $("steering-calibrate").disabled = false;
    $("speed-calibrate").disabled = false;
  } catch (error) {
    reportError(error);
  }
}

for (const place of document.querySelectorAll("[data-model-max-steering]")) {
  place.textContent = `${MODEL_MAX_STEERING_DEGREES}°`;
}
$("steering-calibrate").disabled = true;
$("speed-calibrate").disabled = true;
$("steering-calibrate").addEventListener("click", () => calibrate(steering));
$("speed-calibrate").addEventListener("click", () => calibrate(speed));
loadCalibration();
