// The arithmetic of the calibration wizards, kept apart from the page so it can be checked on its own.
//
// Values are console units (steering ns = v*10000 + 1,500,000; throttle ns = v*4500 + 1,500,000). The
// servo maps a normalised command x to `mid + x*polarity*(max-mid or mid-min)`, so the "positive"
// direction (full left for steering, full forward for throttle) lands on `max` when polarity is +1 and
// on `min` when it is -1. The wizards think in directions (centre, left/right, forward/backward), so a
// wizard state keeps the centre, the polarity and each direction's distance from the centre. Moving
// the centre leaves the end values where they are (they are mechanical limits); reversing the direction
// keeps the distances, so the ends swap sides.

// Slider bounds in console units: about 1.0-2.0 ms for the servo, 1.14-1.86 ms for the ESC.
const LIMITS = {
  angle: { lo: -50, hi: 50, midLo: -30, midHi: 30 },
  throttle: { lo: -80, hi: 80, midLo: -30, midHi: 30 },
};

export function fromSaved({ mid, min, max, polarity }) {
  const up = max - mid;
  const down = mid - min;
  return polarity > 0 ? { mid, polarity, pos: up, neg: down } : { mid, polarity: -1, pos: down, neg: up };
}

export function toSaved({ mid, polarity, pos, neg }) {
  return polarity > 0
    ? { mid, min: mid - neg, max: mid + pos, polarity: 1 }
    : { mid, min: mid - pos, max: mid + neg, polarity: -1 };
}

// The raw value the hardware gets for "mid", the positive direction ("pos") or the negative one ("neg").
export function rawValue(state, field) {
  if (field === "mid") return state.mid;
  const sign = state.polarity > 0 ? 1 : -1;
  return field === "pos" ? state.mid + sign * state.pos : state.mid - sign * state.neg;
}

export function withRawValue(state, field, raw) {
  const sign = state.polarity > 0 ? 1 : -1;
  if (field === "mid") {
    return {
      ...state,
      mid: raw,
      pos: Math.max(1, sign * (rawValue(state, "pos") - raw)),
      neg: Math.max(1, -sign * (rawValue(state, "neg") - raw)),
    };
  }
  const distance = field === "pos" ? sign * (raw - state.mid) : -sign * (raw - state.mid);
  return { ...state, [field]: Math.max(1, distance) };
}

// Allowed raw values for a field: the directions stay on their own side of the centre.
export function rangeFor(state, field, channel) {
  const limits = LIMITS[channel];
  if (field === "mid") {
    return { lo: Math.min(limits.midLo, state.mid), hi: Math.max(limits.midHi, state.mid) };
  }
  const above = (field === "pos") === state.polarity > 0;
  const current = rawValue(state, field);
  return above
    ? { lo: state.mid + 1, hi: Math.max(limits.hi, current) }
    : { lo: Math.min(limits.lo, current), hi: state.mid - 1 };
}

export function reversed(state) {
  return { ...state, polarity: state.polarity > 0 ? -1 : 1 };
}

// How many steering units left of `centre` (negative: right) a raw value turns the wheels.
export function unitsLeft(state, raw, centre = state.mid) {
  return (raw - centre) * (state.polarity > 0 ? 1 : -1);
}

// The widest steering angle of the models' action spaces, each way (the developer guide's action-space limits,
// "a value in degrees between 1-30"; every sample model's metadata in shared/reference has 28-30).
export const MODEL_MAX_STEERING_DEGREES = 30;
// Wheel angle per steering unit, a car's estimate: the default calibration puts both ends 25 units from the
// centre and drives the models' 30 degrees over that (the simulator assumes the same); the original console's
// wizard agrees (an end 24 units from the centre read "Estimated angle: 26-32°"). Servos and linkages differ,
// so the page gives a range of +-10 %, never one precise angle.
const DEGREES_PER_STEERING_UNIT = MODEL_MAX_STEERING_DEGREES / 25;

export function estimatedAngle(units) {
  const degrees = Math.abs(units) * DEGREES_PER_STEERING_UNIT;
  const side = units > 0 ? "left" : "right";
  return { degrees: Math.round(degrees), low: Math.round(degrees * 0.9), high: Math.round(degrees * 1.1), side };
}

// "about 30° left (27–33°)"; `from` names what the angle is measured from when that is not straight ahead.
export function describeAngle(units, { range = false, from = "" } = {}) {
  const { degrees, low, high, side } = estimatedAngle(units);
  if (degrees === 0) return from ? `at ${from}` : "straight ahead";
  const text = `about ${degrees}° ${side}${from ? ` of ${from}` : ""}`;
  return range ? `${text} (${low}–${high}°)` : text;
}

// Rough speed at full throttle: `perUnit` m/s per unit from the stopped value, the car's (views/calibration.py: the
// simulated car's, 2.0 m/s at the stock calibration's full forward). Battery charge and the surface change a real car's
// a lot, so the page shows a range and a band, never one precise number.
const SPEED_BANDS = [
  [1.0, "Slow"],
  [1.6, "Normal"],
  [2.2, "Fast"],
  [3.0, "Turbo"],
  [Infinity, "Dangerous"],
];

export function estimatedSpeed(distance, perUnit) {
  const centre = distance * perUnit;
  const band = SPEED_BANDS.find(([limit]) => centre < limit)[1];
  return { centre, low: centre * 0.87, high: centre * 1.13, band };
}

// "Direction reversed" is said against the stock car (its ESC drives forward on the shorter pulse, polarity -1), as
// the original console's toggle was: an uncalibrated car is not reversed.
export function isReversed(state, stockPolarity) {
  return state.polarity !== stockPolarity;
}
