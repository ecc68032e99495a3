"""Whose run the car is driving, and whether the device that started it is still there.

Why: a mode change from any logged-in device ends the run in progress, and at a track the person holding the
phone is rarely the one who started the car; the console must say whose run a change stops. And an event may want a
run to end when the phone that started it goes away (locked, the tab closed, the network lost): the racer's phone
locking must not end an autonomous lap by default (as on the original car), so that is an event setting, off by
default (`EventStore.stop_when_starter_leaves`), watched by `StarterWatch`.

A Start from the console is recorded with the session and the device that sent it, and the moments before and
after navigation accepted it on the car's boot clock (car_clock): navigation stamps the run's start
(`run_started_ns`) on the same clock, so a run that began in that window is the recorded one, and a run started by a
ROS client or the fleet link (or an earlier Start that found the car already started) is nobody's here. A device is
there while its pages talk to the console: the Control page reads the car's state twice a second while it is shown,
and a page that shows nothing of it asks `/api/presence` (layout.js) while the setting is on. Times are given.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

# A device that sent nothing for this long is gone: the Control page asks twice a second while it is shown, so this
# is six missed polls, which a phone on a weak Wi-Fi does not miss in a row, and a locked phone misses at once.
AWAY_AFTER_S = 3.0

_DEVICES = (  # (what the User-Agent holds, what a person calls it): the first match wins
    ("iPhone", "an iPhone"), ("iPad", "an iPad"), ("Android", "an Android device"), ("CrOS", "a Chromebook"),
    ("Macintosh", "a Mac"), ("Windows", "a Windows computer"), ("Linux", "a Linux computer"),
)


def describe_device(user_agent: str) -> str:
    """A browser's device in a person's words, from its User-Agent ("an iPhone"); "a device" when unknown."""
    return next((words for token, words in _DEVICES if token in user_agent), "a device")


@dataclass(frozen=True)
class RunOwner:
    session_id: str
    device: str
    racer: str  # the event queue's racer on the car when it started; "" outside event mode
    asked_ns: int  # the Start request's window on the car's boot clock
    answered_ns: int

    def owns(self, run_started_ns: int) -> bool:
        return self.asked_ns <= run_started_ns <= self.answered_ns


class RunOwners:
    """The last Start the console accepted, and when each session last talked to the console (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: RunOwner | None = None
        self._seen: dict[str, float] = {}

    def started(self, owner: RunOwner) -> None:
        with self._lock:
            self._last = owner

    def owner(self, run_started_ns: int) -> RunOwner | None:
        """Who started the run that began at `run_started_ns`; None for a run the console did not start."""
        with self._lock:
            last = self._last
        return last if last is not None and run_started_ns and last.owns(run_started_ns) else None

    def seen(self, session_id: str, now_s: float) -> None:
        with self._lock:
            self._seen[session_id] = now_s

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._seen.pop(session_id, None)

    def quiet_s(self, session_id: str, now_s: float) -> float:
        """Seconds since the session last talked to the console (infinite for one never seen, or logged out)."""
        with self._lock:
            seen = self._seen.get(session_id)
        return float("inf") if seen is None else now_s - seen


def run_words(owner: RunOwner | None, session_id: str) -> dict[str, object]:
    """Whose run it is, for the pages: `you` (this session started it), the racer, the device."""
    if owner is None:
        return {"known": False, "you": False, "racer": "", "device": ""}
    return {"known": True, "you": owner.session_id == session_id, "racer": owner.racer, "device": owner.device}


class StarterWatch:
    """The event setting's rule: stop a run once the device that started it has been away for AWAY_AFTER_S."""

    def __init__(self, owners: RunOwners) -> None:
        self._owners = owners
        self.stopped_run_ns = 0  # the run this rule stopped (its run_started_ns): the pages say why it stopped

    def reason_to_stop(self, *, enabled: bool, started: bool, run_started_ns: int, now_s: float) -> str:
        """Why the run must stop now ("" when it goes on)."""
        if not (enabled and started):
            return ""
        owner = self._owners.owner(run_started_ns)
        if owner is None:
            return ""
        quiet_s = self._owners.quiet_s(owner.session_id, now_s)
        if quiet_s < AWAY_AFTER_S:
            return ""
        self.stopped_run_ns = run_started_ns
        away = "logged out" if quiet_s == float("inf") else f"silent for {quiet_s:.0f} s"
        return (f"the device that started the run ({owner.device}) went away ({away}) and the event setting "
                "stops a run then")


class StarterWatchThread:
    """Runs StarterWatch beside the requests, PERIOD_S apart; it reads the car's state only while the setting is on."""

    PERIOD_S = 0.25
    IDLE_PERIOD_S = 1.0  # while the setting is off or no run is on: a wake-up a second, not four, for nothing to do

    def __init__(self, watch: StarterWatch, *, enabled: Callable[[], bool], state: Callable[[], object | None],
                 stop: Callable[[str], None], clock: Callable[[], float]) -> None:
        self._watch, self._enabled, self._state, self._stop, self._clock = watch, enabled, state, stop, clock
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="starter-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        period = self.IDLE_PERIOD_S
        while not self._closing.wait(period):
            period = self.IDLE_PERIOD_S
            if not self._enabled():
                continue
            try:
                state = self._state()
                if state is None or not state.started:
                    continue
                period = self.PERIOD_S
                reason = self._watch.reason_to_stop(enabled=True, started=state.started,
                                                    run_started_ns=state.run_started_ns, now_s=self._clock())
                if reason:
                    self._stop(reason)
            except Exception:  # the next tick tries again
                log.exception("the event setting's check of the run's device failed")

    def close(self) -> None:
        self._closing.set()
        self._thread.join(2)
