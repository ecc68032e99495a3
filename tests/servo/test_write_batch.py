"""The servo node's writes gathered for the logger: held up to the batch period, sent at once with a write that is
not a drive command (the last word of a run is never held back), never more than the most a batch holds."""

from __future__ import annotations

from servo_pkg.write_batch import WriteBatch


def test_drive_command_writes_wait_for_the_period_then_go_together():
    batch: WriteBatch[str] = WriteBatch(period_s=0.5, most=32)
    assert batch.add("w1", 10.0, at_once=False) == []
    assert batch.add("w2", 10.2, at_once=False) == []
    assert batch.add("w3", 10.5, at_once=False) == ["w1", "w2", "w3"]
    assert batch.add("w4", 10.6, at_once=False) == []  # a new batch, timed from its own first write


def test_a_write_that_is_not_a_command_goes_at_once_with_the_ones_before_it():
    batch: WriteBatch[str] = WriteBatch(period_s=0.5, most=32)
    batch.add("command", 1.0, at_once=False)
    assert batch.add("neutral on stop", 1.01, at_once=True) == ["command", "neutral on stop"]
    assert batch.take() == []


def test_a_batch_never_holds_more_than_its_most():
    batch: WriteBatch[int] = WriteBatch(period_s=10.0, most=3)
    assert [batch.add(i, 0.0, at_once=False) for i in range(4)] == [[], [], [0, 1, 2], []]
    assert batch.take() == [3]
