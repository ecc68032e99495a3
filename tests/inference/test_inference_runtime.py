"""The frame gate (rate cap by skipping, missing frames counted) and the model switcher (newest load wins)."""

from __future__ import annotations

import itertools
import threading

from inference_pkg.runtime import FrameGate, LatestSlot, ModelSwitcher
from support.rosgraph import wait_for


def test_slot_keeps_only_the_newest_item():
    slot: LatestSlot[int] = LatestSlot()
    assert slot.put(1) is False
    assert slot.put(2) is True
    assert slot.take() == 2
    assert slot.put(3) is False
    slot.close()
    assert slot.take() is None


def test_gate_counts_frames_that_never_arrived():
    gate = FrameGate()
    admitted = [gate.admit(sequence, sequence / 30) for sequence in (1, 2, 5, 6, 9)]
    assert all(a.infer for a in admitted)
    assert [a.missed for a in admitted] == [0, 0, 2, 0, 2]


def test_gate_does_not_count_a_camera_restart_or_a_pause_as_losses():
    gate = FrameGate()
    gate.admit(40, 1.0)
    assert gate.admit(1, 1.1).missed == 0, "the camera restarted and counts from 1 again"
    gate.restart()
    assert gate.admit(90, 5.0).missed == 0, "frames published while inference was stopped were not lost"


def test_gate_rate_cap_skips_frames_instead_of_delaying_them():
    """30 fps in, 10 Hz cap: every third frame runs, each the moment it arrives; 0 lifts the cap."""
    gate = FrameGate(10.0)
    ran = [k for k in range(1, 91) if gate.admit(k, k / 30).infer]
    assert len(ran) == 30
    assert all(b - a == 3 for a, b in itertools.pairwise(ran))
    gate.set_rate(0.0)
    assert all(gate.admit(k, k / 30).infer for k in range(91, 101))


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


def test_a_request_for_the_load_under_way_is_that_load():
    """Fault matrix on CI: a LoadModel answered late was sent again, the model loaded twice, and the client that
    saw "loaded" for its request then saw "loading". The same target while it loads is the same load; once it
    ended, asking again loads again."""
    events: list[tuple[str, str]] = []
    release = threading.Event()
    loads: list[str] = []

    def load(target: str) -> str:
        loads.append(target)
        release.wait(5)
        return f"model {target}"

    switcher = ModelSwitcher(load, on_loading=lambda t: events.append(("loading", t)),
                             on_loaded=lambda t, r: events.append(("loaded", r)),
                             on_failed=lambda t, reason: events.append(("failed", t)))
    try:
        switcher.request("a")
        wait_for(lambda: loads == ["a"], what="a loading")
        switcher.request("a")
        release.set()
        wait_for(lambda: ("loaded", "model a") in events, what="a loaded")
        switcher.request("a")
        wait_for(lambda: events.count(("loaded", "model a")) == 2, what="a loaded again")
    finally:
        switcher.close()
    assert events == [("loading", "a"), ("loaded", "model a"), ("loading", "a"), ("loaded", "model a")]
    assert loads == ["a", "a"]


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
