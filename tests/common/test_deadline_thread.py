"""DeadlineThread (the car's watchdogs' clock): a check runs when its time comes, a time moved later holds it off
without waking the thread, `poke` brings an earlier one forward, and a failing check is reported, not fatal."""

from __future__ import annotations

import threading
import time

import pytest

from deepracer_common_pkg.deadline_thread import DeadlineThread
from support.rosgraph import wait_for


class Watch:
    """A check as a watchdog's: due at `due_s` (monotonic), one-shot unless it sets the next."""

    def __init__(self, *, fail: bool = False) -> None:
        self.due_s: float | None = None
        self.ran: list[tuple[float, str]] = []
        self.reports: list[str] = []
        self.fail = fail

    def check(self) -> None:
        self.ran.append((time.monotonic(), threading.current_thread().name))
        self.due_s = None
        if self.fail:
            raise RuntimeError("a bug in the check")


@pytest.fixture
def made():
    threads: list[DeadlineThread] = []

    def make(watch: Watch) -> DeadlineThread:
        thread = DeadlineThread("test-watchdog", time.monotonic, lambda: watch.due_s, watch.check,
                                watch.reports.append)
        threads.append(thread)
        return thread

    yield make
    for thread in threads:
        thread.close()


def test_a_check_runs_when_its_time_comes_on_the_thread_of_its_own(made) -> None:
    watch = Watch()
    due = watch.due_s = time.monotonic() + 0.2
    made(watch)
    wait_for(lambda: watch.ran, what="the check due in 0.2 s")
    [(when, thread)] = watch.ran
    assert when >= due and thread == "test-watchdog"


def test_a_time_moved_later_holds_the_check_off_until_inputs_stop(made) -> None:
    """Navigation's fresh inputs: each moves the check a second on, and it runs only once they stop."""
    watch = Watch()
    watch.due_s = time.monotonic() + 1.0
    made(watch)
    for _ in range(30):  # 1.5 s of inputs, 20 a second
        watch.due_s = time.monotonic() + 1.0
        time.sleep(0.05)
    last_input = time.monotonic()
    assert watch.ran == []
    wait_for(lambda: watch.ran, what="the check once the inputs stopped")
    assert watch.ran[0][0] >= last_input + 0.9


def test_poke_brings_a_sooner_check_forward(made) -> None:
    """The thread sleeps with nothing due (a car not started); a Start makes a check due: without the poke it would
    never look."""
    watch = Watch()
    thread = made(watch)
    time.sleep(0.1)  # let it fall asleep with nothing due (not a synchronisation: the poke must work either way)
    watch.due_s = time.monotonic()
    thread.poke()
    wait_for(lambda: watch.ran, what="the check made due and poked")


def test_a_failing_check_is_reported_and_the_next_one_still_runs(made) -> None:
    watch = Watch(fail=True)
    watch.due_s = time.monotonic()
    thread = made(watch)
    wait_for(lambda: watch.reports, what="the failing check's report")
    assert "a bug in the check" in watch.reports[0]
    watch.fail = False
    watch.due_s = time.monotonic()
    thread.poke()
    wait_for(lambda: len(watch.ran) == 2, what="the next check after the failing one")


def test_no_check_after_close(made) -> None:
    watch = Watch()
    thread = made(watch)
    thread.close()
    watch.due_s = time.monotonic()
    thread.poke()  # after close: nothing to wake, no error
    time.sleep(0.2)
    assert watch.ran == []
