// A STOP is never lost. At a track, Wi-Fi drops are when people press STOP: a STOP (or Stop vehicle) the car has
// not acknowledged is sent again every RETRY_MS until it is, and again at once when the browser says it is back
// online, so it reaches the car within a fraction of a second of the car being reachable. Until then the page says
// "STOP not delivered yet", on every page (the banner is in the layout's shell, beside the STOP buttons).
import { api } from "./api.js";

const RETRY_MS = 250;
// A request the dropped Wi-Fi leaves hanging is given up after this. Tries do not wait for each other's answers
// (a hanging one would hold back the next by up to this much): a new one starts every RETRY_MS, at most
// ATTEMPT_TIMEOUT_MS / RETRY_MS at once. Stopping twice is harmless.
const ATTEMPT_TIMEOUT_MS = 1500;
const MAX_IN_FLIGHT = ATTEMPT_TIMEOUT_MS / RETRY_MS;
const OPTIONS = { timeoutMs: ATTEMPT_TIMEOUT_MS, toLogin: false };

// How each kind reaches the car. A session that ended (a password change, a restart of the console) still stops
// the car: the public STOP needs no login (it only latches the emergency stop).
const publicStop = () => api.post("/api/public/stop", {}, OPTIONS);
const KINDS = {
  emergency: {
    words: "STOP",
    send: async () => {
      try {
        await api.post("/api/emergency_stop", {}, OPTIONS);
      } catch (error) {
        if (error.status !== 401 && error.status !== 403) throw error;
        await publicStop();
      }
    },
  },
  public: { words: "STOP", send: publicStop },
  stop: {
    words: "Stop",
    send: async () => {
      try {
        await api.post("/api/start_stop", { start_stop: "stop" }, OPTIONS);
      } catch (error) {
        if (error.status !== 401 && error.status !== 403) throw error;
        await publicStop();
      }
    },
  },
};

// Not delivered: the car did not answer, or answered that it could not act now (its navigation node is busy).
// A 429 from the public STOP means the stop is latched already.
const undelivered = (error) => error.status === 0 || error.status >= 500;

class StopCourier {
  constructor() {
    this.pending = null; // { kind, since, resolve, reject, promise } while not delivered
    this.timer = null;
    this.inFlight = 0;
    window.addEventListener("online", () => this.attempt());
  }

  // Resolves once the car acknowledged; rejects when it refused for a reason a retry cannot change.
  deliver(kind) {
    if (this.pending) {
      if (kind === "emergency" || kind === "public") this.pending.kind = kind; // a STOP supersedes a Stop
      return this.pending.promise;
    }
    let resolve;
    let reject;
    const promise = new Promise((yes, no) => {
      resolve = yes;
      reject = no;
    });
    this.pending = { kind, since: performance.now(), resolve, reject, promise };
    this.attempt();
    return promise;
  }

  async attempt() {
    const pending = this.pending;
    if (!pending) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.attempt(), RETRY_MS); // the next try does not wait for this one's answer
    if (this.inFlight >= MAX_IN_FLIGHT) return;
    this.inFlight += 1;
    try {
      await KINDS[pending.kind].send();
      if (this.pending === pending) this.settle(() => pending.resolve());
    } catch (error) {
      if (this.pending !== pending) return; // another try has settled it
      if (error.status === 429 && pending.kind !== "stop") this.settle(() => pending.resolve());
      else if (undelivered(error)) this.show();
      else this.settle(() => pending.reject(error));
    } finally {
      this.inFlight -= 1;
    }
  }

  settle(done) {
    this.pending = null;
    clearTimeout(this.timer);
    this.show();
    done();
  }

  show() {
    const banner = document.getElementById("stop-pending");
    if (!banner) return;
    banner.hidden = !this.pending;
    if (!this.pending) return;
    const seconds = Math.floor((performance.now() - this.pending.since) / 1000);
    banner.textContent = `${KINDS[this.pending.kind].words} not delivered yet: this device cannot reach the car. `
      + `It is sent again until the car answers (${seconds} s so far).`;
  }
}

export const stopCourier = new StopCourier();
