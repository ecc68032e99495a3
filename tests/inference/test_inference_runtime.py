"""The frame worker (newest frame only, once, rate cap) and the model switcher (newest load wins)."""

from __future__ import annotations

import itertools
import threading
import time

from inference_pkg.runtime import FrameWorker, LatestSlot, ModelSwitcher
from support.rosgraph import wait_for


def test_slot_keeps_only_the_newest_item():
    slot: LatestSlot[int] = LatestSlot()
    assert slot.put(1) is False
    assert slot.put(2) is True
    assert slot.take() == 2
    assert slot.put(3) is False
    slot.close()
    assert slot.take() is None


def test_slot_holds_an_item_until_not_before():
    slot: LatestSlot[int] = LatestSlot()
    slot.put(1)
    not_before = time.monotonic() + 0.05
    assert slot.take(not_before) == 1
    assert time.monotonic() >= not_before


class Recorder:
    """A `process` that blocks on the first item until released, recording what it ran."""

    def __init__(self) -> None:
        self.ran: list[int] = []
        self.started: list[float] = []
        self.first_started = threading.Event()
        self.release = threading.Event()

    def __call__(self, item: int) -> None:
        self.started.append(time.monotonic())
        self.first_started.set()
        self.release.wait(5)
        self.ran.append(item)


def test_worker_runs_the_newest_frame_once_and_counts_replaced_ones():
    recorder, drops = Recorder(), []
    worker = FrameWorker(recorder, on_drop=lambda: drops.append(1))
    try:
        worker.submit(1)
        assert recorder.first_started.wait(5)
        for item in (2, 3, 4):  # arrive while 1 is being processed: only 4 is still worth running
            worker.submit(item)
        recorder.release.set()
        wait_for(lambda: recorder.ran == [1, 4], what="frames 1 and 4 processed")
        assert len(drops) == 2
    finally:
        worker.close()
    assert recorder.ran == [1, 4]


def test_worker_survives_a_failing_frame():
    errors: list[Exception] = []
    done: list[int] = []

    def process(item: int) -> None:
        if item == 1:
            raise ValueError("bad frame")
        done.append(item)

    worker = FrameWorker(process, on_error=errors.append)
    try:
        worker.submit(1)
        wait_for(lambda: errors, what="the error reported")
        worker.submit(2)
        wait_for(lambda: done == [2], what="the next frame processed")
        assert str(errors[0]) == "bad frame"
    finally:
        worker.close()


def test_rate_cap_spaces_inference_starts():
    starts: list[float] = []
    worker = FrameWorker(lambda item: starts.append(time.monotonic()), max_rate_hz=20.0)
    try:
        for expected in range(1, 5):
            worker.submit(expected)
            wait_for(lambda n=expected: len(starts) == n, what=f"frame {expected} processed")
        gaps = [b - a for a, b in itertools.pairwise(starts)]
        assert min(gaps) >= 0.05 - 1e-3
        worker.set_rate(0.0)
        before = len(starts)
        worker.submit(99)
        wait_for(lambda: len(starts) == before + 1, what="an uncapped frame")
    finally:
        worker.close()


def test_newer_load_supersedes_an_older_one():
    events: list[tuple[str, str]] = []
    loading_a = threading.Event()
    release_a = threading.Event()

    def load(target: str) -> str:
        if target == "a":
            loading_a.set()
            release_a.wait(5)
        return f"model {target}"

    switcher = ModelSwitcher(load, on_loading=lambda t: events.append(("loading", t)),
                             on_loaded=lambda t, r: events.append(("loaded", r)),
                             on_failed=lambda t, reason: events.append(("failed", t)))
    try:
        switcher.request("a")
        assert loading_a.wait(5)
        switcher.request("b")
        release_a.set()
        wait_for(lambda: ("loaded", "model b") in events, what="b loaded")
        switcher.request("c")
        wait_for(lambda: ("loaded", "model c") in events, what="c loaded")
    finally:
        switcher.close()
    assert events == [("loading", "a"), ("loading", "b"), ("loaded", "model b"), ("loading", "c"),
                      ("loaded", "model c")]


def test_failed_load_reports_the_reason():
    failures: list[tuple[str, str]] = []

    def load(target: str) -> str:
        raise ValueError(f"{target}/model_metadata.json: sensor 'RADAR' is unknown")

    switcher = ModelSwitcher(load, on_loading=lambda t: None, on_loaded=lambda t, r: None,
                             on_failed=lambda t, reason: failures.append((t, reason)))
    try:
        switcher.request("x")
        wait_for(lambda: failures, what="the failure")
    finally:
        switcher.close()
    assert failures == [("x", "x/model_metadata.json: sensor 'RADAR' is unknown")]


def test_closing_abandons_a_load_in_flight():
    loading = threading.Event()
    release = threading.Event()
    reported: list[str] = []

    def load(target: str) -> str:
        loading.set()
        release.wait(5)
        return target

    switcher = ModelSwitcher(load, on_loading=lambda t: None, on_loaded=lambda t, r: reported.append(r),
                             on_failed=lambda t, reason: reported.append(reason))
    switcher.request("a")
    assert loading.wait(5)
    switcher.close(timeout=0.01)  # returns while the load still blocks
    release.set()
    switcher.close()  # now the loader thread ends
    assert reported == []
