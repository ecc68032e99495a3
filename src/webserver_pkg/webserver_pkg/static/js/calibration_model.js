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

// Rough speed at full throttle, read off the original console's wizard (a forward value about 39
// units from the stopped value showed 1.6-2.1 m/s). Battery charge and the surface change it a lot,
// so the page shows a range and a band, never one precise number.
const METRES_PER_SECOND_PER_UNIT = 0.047;
const SPEED_BANDS = [
  [1.0, "Slow"],
  [1.6, "Normal"],
  [2.2, "Fast"],
  [3.0, "Turbo"],
  [Infinity, "Dangerous"],
];

export function estimatedSpeed(distance) {
  const centre = distance * METRES_PER_SECOND_PER_UNIT;
  const band = SPEED_BANDS.find(([limit]) => centre < limit)[1];
  return { low: centre * 0.87, high: centre * 1.13, band };
}
