// The Control page's live readout in a racer's words: navigation's commanded steering and throttle as a
// direction and a percentage (the car's convention: +1 is full left, +1 full forward), the servo's written duty
// cycles in microseconds with "neutral" when one is the calibrated neutral, and the run's time as mm:ss. The car
// decides what is stale (services/drive_readout.py): a value it no longer sends arrives as null and shows BLANK.
export const BLANK = "—";

const percent = (value) => Math.round(Math.abs(value) * 100);

export function steeringWords(angle) {
  const amount = percent(angle);
  if (amount === 0) return "Straight";
  return `${angle > 0 ? "Left" : "Right"} ${amount} %`;
}

export function throttleWords(throttle) {
  const amount = percent(throttle);
  if (amount === 0) return "Neutral";
  return `${throttle > 0 ? "Forward" : "Reverse"} ${amount} %`;
}

// `neutral` is null when the car could not read its calibration: then nothing is claimed about it.
export function dutyWords(microseconds, neutral, enabled) {
  const duty = `${Math.round(microseconds).toLocaleString("en-US")} µs`;
  if (!enabled) return `${duty} · output off`;
  return neutral ? `${duty} · neutral` : duty;
}

export function runTime(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(Math.floor(whole / 60))}:${pad(whole % 60)}`;
}
