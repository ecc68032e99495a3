"""The newest message no reader took (newest_unread.py): kept only when nobody took it, the newest only, given once
to the next reader, and only if the sender's rule says it still stands at its age."""

from __future__ import annotations

from deepracer_common_pkg.newest_unread import NewestUnread


def test_the_newest_untaken_message_is_given_once_if_it_still_stands():
    kept: NewestUnread[str] = NewestUnread()
    kept.sent("first", False, 1_000_000_000)
    kept.sent("newest", False, 2_000_000_000)
    ages = []
    assert kept.take(2_500_000_000, lambda message, age_s: ages.append(age_s) or True) == "newest"
    assert ages == [0.5]
    assert kept.take(2_600_000_000, lambda *_: True) is None, "given once"


def test_a_message_a_reader_took_or_one_that_no_longer_stands_is_not_given():
    kept: NewestUnread[str] = NewestUnread()
    kept.sent("untaken", False, 0)
    kept.sent("taken", True, 1)
    assert kept.take(2, lambda *_: True) is None
    kept.sent("stale", False, 0)
    assert kept.take(10**9, lambda _, age_s: age_s <= 0.25) is None
    assert kept.take(10**9, lambda *_: True) is None, "dropped, not kept for a later reader"
