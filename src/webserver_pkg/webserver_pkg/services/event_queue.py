"""Event mode's state: the car's name, the tail-light palette, and the organiser's racer queue.

At an event one organiser runs several cars, each with a tab: the car's name (its hostname unless one is set)
and its tail-light colour are in every page's header and tab title so the tabs differ. The queue holds who
drives next (racer, model, tail light); "Next racer" takes its head. One setting: whether a run stops when the
device that started it goes away (services.run_owner; off by default, as on the original car, where a racer's phone
locking never ended a lap). All of it is a small JSON file in the console folder, written atomically
(`small_files`), so a restart or a power cut keeps the day's queue. The racer on the car is announced to the robot
(`announce`: the logging node names each run by it) at start and whenever it changes, whichever change made it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from deepracer_common_pkg.small_files import atomic_write_json, read_json

EVENT_FILE = "event.json"
MAX_NAME_LENGTH = 32
MAX_RACERS = 200  # a long day at the track, with room to spare

# The original console's palette names. The RGB values suit a tail LED, which washes out mixed colours:
# strong primaries, little of the third channel.
TAIL_LIGHTS: dict[str, tuple[int, int, int]] = {
    "Red": (255, 0, 0),
    "Marigold": (255, 120, 0),
    "Orchid Purple": (180, 40, 255),
    "Sky Blue": (0, 170, 255),
    "Green": (0, 255, 0),
    "Violet": (110, 0, 255),
    "Lime": (150, 255, 0),
    "Default": (0, 0, 255),
}


def tail_light_name(rgb: tuple[int, int, int]) -> str:
    """The palette's name of a colour, or "RGB r, g, b" for one set outside the palette."""
    for name, value in TAIL_LIGHTS.items():
        if tuple(rgb) == value:
            return name
    return "RGB " + ", ".join(str(channel) for channel in rgb)


def clean_name(text: object, what: str) -> str:
    """A name a person typed, trimmed; ValueError with what to fix when it is empty, too long or has control
    characters (a name is shown in headers and tab titles)."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"enter the {what}")
    name = " ".join(text.split())
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"the {what} is {len(name)} characters long: use at most {MAX_NAME_LENGTH}")
    if not name.isprintable():
        raise ValueError(f"the {what} has characters that cannot be shown: use letters, digits and punctuation")
    return name


@dataclass(frozen=True)
class Racer:
    name: str
    model: str
    tail_light: str  # a TAIL_LIGHTS name


def new_racer(name: object, model: object, tail_light: object) -> Racer:
    """A queue entry from what the organiser typed; ValueError with what to fix."""
    racer_name = clean_name(name, "racer's name")
    if not isinstance(model, str) or not model:
        raise ValueError("choose the racer's model")
    if tail_light not in TAIL_LIGHTS:
        raise ValueError(f"choose a tail light colour: one of {', '.join(TAIL_LIGHTS)}")
    return Racer(racer_name, model, str(tail_light))


class EventStore:
    """The car name and the racer queue in `<console_dir>/event.json`; thread-safe, every change written at once.

    A file that cannot be read (hand-edited, damaged) starts an empty queue rather than a console that cannot
    start: `problem` says so, for the Event section."""

    def __init__(self, console_dir: Path, announce: Callable[[str], None]) -> None:
        self._path = console_dir / EVENT_FILE
        self._announce = announce
        self._lock = threading.Lock()
        self.problem = ""
        self._car_name, self._queue, self._current = "", [], None
        self._stop_when_starter_leaves = False
        try:
            data = read_json(self._path)
            self._car_name = str(data.get("car_name", ""))
            self._stop_when_starter_leaves = data.get("stop_when_starter_leaves", False) is True
            self._queue = [Racer(**entry) for entry in data.get("queue", [])]
            self._current = Racer(**data["current"]) if data.get("current") else None
        except FileNotFoundError:
            pass
        except (OSError, ValueError, TypeError, AttributeError, KeyError):
            self.problem = "the saved racer queue could not be read, so the queue starts empty: add the racers again"
            self._car_name, self._queue, self._current = "", [], None
            self._stop_when_starter_leaves = False
        self._announced = self._current_name()
        announce(self._announced)

    @property
    def stop_when_starter_leaves(self) -> bool:
        return self._stop_when_starter_leaves

    def set_stop_when_starter_leaves(self, on: bool) -> None:
        with self._lock:
            self._stop_when_starter_leaves = on
            self._save()

    def in_use(self) -> bool:
        """Event mode: a racer is waiting or on the car."""
        with self._lock:
            return bool(self._queue) or self._current is not None

    def car_name(self, hostname: str) -> str:
        """The name set in Settings, else the car's hostname."""
        with self._lock:
            return self._car_name or hostname

    def set_car_name(self, name: object) -> None:
        """An empty name goes back to the hostname."""
        with self._lock:
            self._car_name = "" if name in ("", None) else clean_name(name, "car's name")
            self._save()

    def queue(self) -> tuple[list[Racer], Racer | None]:
        """The racers waiting, in order, and the one on the car now (None before the first Next racer)."""
        with self._lock:
            return list(self._queue), self._current

    def add(self, racer: Racer) -> None:
        with self._lock:
            if len(self._queue) >= MAX_RACERS:
                raise ValueError(f"the queue already holds {MAX_RACERS} racers: remove some first")
            self._queue.append(racer)
            self._save()

    def remove(self, index: int) -> None:
        with self._lock:
            if not 0 <= index < len(self._queue):
                raise ValueError(f"there is no racer number {index + 1} in the queue: reload the page")
            del self._queue[index]
            self._save()

    def next_racer(self) -> Racer | None:
        """The head of the queue, still in it: `advance` takes it once the car is set up for them."""
        with self._lock:
            return self._queue[0] if self._queue else None

    def advance(self, racer: Racer) -> None:
        """`racer` (the head `next_racer` gave) is on the car now."""
        with self._lock:
            if self._queue and self._queue[0] == racer:
                self._queue.pop(0)
            self._current = racer
            self._save()

    def _current_name(self) -> str:
        return self._current.name if self._current else ""

    def _save(self) -> None:
        """Write every change at once, and announce the racer on the car when that changed."""
        atomic_write_json(self._path, {"car_name": self._car_name, "queue": [asdict(r) for r in self._queue],
                                       "current": asdict(self._current) if self._current else None,
                                       "stop_when_starter_leaves": self._stop_when_starter_leaves})
        if self._current_name() != self._announced:
            self._announced = self._current_name()
            self._announce(self._announced)
