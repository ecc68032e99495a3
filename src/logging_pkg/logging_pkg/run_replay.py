"""A recorded run, frame by frame, for the console's replay: read with `rosbags`, streamed, never whole.

Opening a run makes one pass through the bag and keeps a few numbers per frame (time, the chosen action and its
probabilities, the steering and throttle navigation sent for it); frame pictures are not kept. `picture(row)`
reads only the chunk that holds that frame (the MCAP chunk index, by the frame's log time). The reader is
`rosbags`, independent of the writer (`mcap`): what the console shows is what any ROS tool would read.
Frames, results and commands are joined by the capture stamp every hop copies (docs/architecture.md).
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from rosbags.highlevel import AnyReader, AnyReaderError

from deepracer_common_pkg import names
from logging_pkg.bag_format import mcap_is_closed


@dataclass(frozen=True)
class FrameRow:
    index: int
    log_ns: int           # when the logger received the frame (the key to find it again)
    t_s: float            # seconds from the run's first frame
    sequence: int
    action_index: int     # -1: no policy result recorded for this frame, or a continuous action space
    outputs: tuple[float, ...]
    steering: float | None
    throttle: float | None


@dataclass(frozen=True)
class Timeline:
    frames: list[FrameRow]
    action_space_type: str
    model_name: str


class ReplayError(ValueError):
    """The bag cannot be read; the message says why in plain words."""


def _stamp(header) -> int:
    return int(header.stamp.sec) * 1_000_000_000 + int(header.stamp.nanosec)


def _timeline(reader: AnyReader) -> Timeline:
    wanted = {names.CAMERA_FRAMES, names.INFERENCE_RESULTS, names.NAVIGATION_SERVO_CMD}
    connections = [c for c in reader.connections if c.topic in wanted]
    frames: list[tuple[int, int, int]] = []     # (log ns, capture stamp, sequence)
    results: dict[int, tuple[int, tuple[float, ...]]] = {}
    commands: dict[int, tuple[float, float]] = {}
    space, model = "", ""
    for connection, log_ns, raw in reader.messages(connections=connections):
        message = reader.deserialize(raw, connection.msgtype)
        if connection.topic == names.CAMERA_FRAMES:
            frames.append((log_ns, _stamp(message.header), int(message.sequence)))
        elif connection.topic == names.INFERENCE_RESULTS:
            results[_stamp(message.header)] = (int(message.action_index),
                                               tuple(round(float(v), 4) for v in message.outputs))
            space, model = message.action_space_type, message.model_name
        else:
            commands[_stamp(message.header)] = (round(float(message.angle), 4), round(float(message.throttle), 4))
    first = frames[0][0] if frames else 0
    rows = []
    for index, (log_ns, stamp, sequence) in enumerate(frames):
        action, outputs = results.get(stamp, (-1, ()))
        steering, throttle = commands.get(stamp, (None, None))
        rows.append(FrameRow(index, log_ns, round((log_ns - first) / 1e9, 3), sequence, action, outputs,
                             steering, throttle))
    return Timeline(rows, space, model)


class RunReplay:
    """One run opened for replay. Opening builds the bag's types from its own definitions (~0.25 s here), so
    it is done once; the reader is not thread-safe, so requests take turns."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        if not all(mcap_is_closed(path) for path in folder.glob("*.mcap")):
            raise ReplayError("the bag is still open (being recorded, or its logger stopped: the logging node "
                              "recovers it when it next starts)")
        self._reader = AnyReader([folder])
        try:
            self._reader.open()
            self.timeline = _timeline(self._reader)
        except (AnyReaderError, OSError) as error:
            self.close()
            raise ReplayError(f"the bag cannot be read: {error}") from None
        except BaseException:
            self.close()
            raise

    def picture(self, row: FrameRow) -> np.ndarray:
        """The frame's grey picture (stereo: left and right side by side), read from its chunk alone."""
        with self._lock:
            try:
                connections = [c for c in self._reader.connections if c.topic == names.CAMERA_FRAMES]
                for connection, log_ns, raw in self._reader.messages(connections=connections, start=row.log_ns,
                                                                     stop=row.log_ns + 1):
                    message = self._reader.deserialize(raw, connection.msgtype)
                    if log_ns == row.log_ns and int(message.sequence) == row.sequence:
                        images = [np.asarray(i.data, dtype=np.uint8).reshape(int(i.height), int(i.step))
                                  [:, :int(i.width)] for i in message.images]
                        return np.hstack(images) if len(images) > 1 else images[0]
            except (AnyReaderError, OSError) as error:
                raise ReplayError(f"the bag cannot be read: {error}") from None
        raise ReplayError(f"frame {row.index} is not in the bag")

    def picture_png(self, row: FrameRow) -> bytes:
        ok, encoded = cv2.imencode(".png", self.picture(row))
        if not ok:
            raise ReplayError(f"frame {row.index} could not be encoded")
        return encoded.tobytes()

    def close(self) -> None:
        with self._lock, contextlib.suppress(Exception):
            self._reader.close()


class ReplayCache:
    """A few opened runs (a 10-minute run at 30 fps keeps ~18,000 small rows), keyed by the bag's size and
    modification time, so a recovered or re-recorded bag is opened afresh; the oldest is closed."""

    def __init__(self, capacity: int = 4) -> None:
        self._capacity = capacity
        self._items: OrderedDict[tuple[str, int, int], RunReplay] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, folder: Path) -> RunReplay:
        stats = [p.stat() for p in sorted(folder.glob("*.mcap"))]
        key = (str(folder), sum(s.st_size for s in stats), max((s.st_mtime_ns for s in stats), default=0))
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        replay = RunReplay(folder)
        evicted = []
        with self._lock:
            self._items[key] = replay
            while len(self._items) > self._capacity:
                evicted.append(self._items.popitem(last=False)[1])
        for old in evicted:
            old.close()
        return replay

    def close(self) -> None:
        with self._lock:
            items, self._items = list(self._items.values()), OrderedDict()
        for replay in items:
            replay.close()
