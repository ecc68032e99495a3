"""The test session's stall watch (support/stall_watch.py): a sleep that came back late is noted with the hypervisor's
steal meanwhile, an on-time one is not, and a failed test is told only of the stalls since it began."""

from __future__ import annotations

from support.stall_watch import PERIOD_S, STALLED_S, StallWatch, steal_s


def test_a_late_sleep_is_noted_with_the_steal_meanwhile_and_an_on_time_one_is_not():
    now, stolen = [100.0], [7.0]
    late = iter([0.001, STALLED_S + 0.4, 0.0])

    def sleep(seconds: float) -> None:
        extra = next(late)
        now[0] += seconds + extra
        stolen[0] += 0.9 * extra

    watch = StallWatch(clock=lambda: now[0], sleep=sleep, steal=lambda: stolen[0])
    for _ in range(3):
        watch.step()
    stalls = watch.since(0.0)
    assert len(stalls) == 1
    assert abs(stalls[0].late_s - (STALLED_S + 0.4)) < 1e-9 and abs(stalls[0].steal_s - 0.9 * (STALLED_S + 0.4)) < 1e-9
    said = str(stalls[0])
    assert f"{PERIOD_S:g} s sleep came back 0.65 s late" in said and f"{stalls[0].steal_s:.2f} s of this VM" in said
    assert watch.since(stalls[0].at + 0.01) == [], "a test that began after it is not told of it"


def test_the_steal_counter_reads_this_machine_or_zero(tmp_path):
    assert steal_s() >= 0.0
    (tmp_path / "stat").write_text("cpu  10 0 5 100 0 0 0 250 0 0\ncpu0 1 2 3\n")
    assert steal_s(tmp_path / "stat") == 2.5
    assert steal_s(tmp_path / "missing") == 0.0
