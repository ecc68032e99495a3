"""The local link that carries navigation's drive commands to the servo node (command_link), over real sockets:
commands arrive as DriveCommand would carry them, a sender never blocks and says when a command did not go (it
then goes over DDS), and each end copes with the other coming and going."""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time

import pytest
from rclpy.serialization import deserialize_message, serialize_message

from deepracer_common_pkg.command_link import (
    RETRY_S,
    Command,
    CommandReceiver,
    CommandSender,
    RecentCommands,
)
from deepracer_common_pkg.stamps import from_ns
from deepracer_interfaces_pkg.msg import DriveCommand
from support.rosgraph import wait_for

_names = itertools.count()


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Heard:
    """What a receiver handed on, and its reports."""

    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.reports: list[str] = []
        self.gate = threading.Event()
        self.gate.set()

    def on_command(self, command: Command) -> None:
        self.gate.wait()
        self.commands.append(command)


@pytest.fixture
def link_address() -> str:
    return f"\0deepracer-test/{os.getpid()}/{next(_names)}"


@pytest.fixture
def heard() -> Heard:
    return Heard()


@pytest.fixture
def receiver(link_address, heard):
    made = CommandReceiver(link_address, heard.on_command, heard.reports.append)
    yield made
    heard.gate.set()
    made.close()


def as_dds_carries(command: Command) -> Command:
    """The same command after a trip through a DriveCommand's bytes (float32 angle and throttle)."""
    message = DriveCommand(angle=command.angle, throttle=command.throttle)
    message.header.stamp.sec, message.header.stamp.nanosec = command.sec, command.nanosec
    back = deserialize_message(serialize_message(message), DriveCommand)
    return Command(back.header.stamp.sec, back.header.stamp.nanosec, back.angle, back.throttle)


def test_a_command_arrives_as_the_topic_would_carry_it(receiver, heard, link_address):
    sender = CommandSender(link_address, FakeClock())
    stamp = from_ns(1_234_567_890_123)
    sent = Command(stamp.sec, stamp.nanosec, 0.1, -0.7)
    assert sender.send(sent)
    wait_for(lambda: heard.commands, what="the command on the receiving end")
    assert heard.commands == [as_dds_carries(sent)]
    assert heard.commands[0] != sent  # 0.1 is not a float32: the link rounds as the topic does
    sender.close()


def test_commands_arrive_in_the_order_sent(receiver, heard, link_address):
    sender = CommandSender(link_address, FakeClock())
    sent = [Command(i, 0, 0.0, i / 100) for i in range(1, 51)]
    assert all(sender.send(command) for command in sent)
    wait_for(lambda: len(heard.commands) == 50, what="all 50 commands")
    assert heard.commands == [as_dds_carries(command) for command in sent]
    sender.close()


def test_commands_queued_while_the_receiver_was_busy_are_each_handed_on_then_the_sender_leaving_is_seen(
        receiver, heard, link_address):
    """The receiver takes one command per wake-up of its selector: the ones queued behind it must still come,
    in order, and the end of the sender behind them must still be noticed."""
    sender = CommandSender(link_address, FakeClock())
    heard.gate.clear()  # the receiver's thread is held in its hand-on of the first command
    sent = [Command(i, 0, 0.0, i / 10) for i in range(1, 7)]
    assert sender.send(sent[0])
    wait_for(lambda: receiver.senders == 1, what="the sender connected")
    assert all(sender.send(command) for command in sent[1:])
    sender.close()
    heard.gate.set()
    wait_for(lambda: len(heard.commands) == len(sent), what="every queued command")
    assert heard.commands == [as_dds_carries(command) for command in sent]
    wait_for(lambda: receiver.senders == 0, what="the sender's leaving noticed")


def test_with_nobody_listening_the_sender_says_so_and_tries_again_only_after_its_pause(link_address, heard):
    clock = FakeClock()
    sender = CommandSender(link_address, clock)
    assert not sender.send(Command(1, 0, 0.0, 0.5))
    assert not sender.linked
    receiver = CommandReceiver(link_address, heard.on_command, heard.reports.append)
    try:
        assert not sender.send(Command(2, 0, 0.0, 0.5))  # within the pause: not tried again
        clock.now += RETRY_S
        assert sender.send(Command(3, 0, 0.0, 0.5))
        wait_for(lambda: heard.commands, what="the command sent once the link was up")
        assert [command.sec for command in heard.commands] == [3]
    finally:
        sender.close()
        receiver.close()


def test_a_receiver_that_went_away_is_noticed_and_its_successor_reached(link_address, heard):
    clock = FakeClock()
    sender = CommandSender(link_address, clock)
    first = CommandReceiver(link_address, heard.on_command, heard.reports.append)
    assert sender.send(Command(1, 0, 0.0, 0.5))
    wait_for(lambda: heard.commands, what="the first receiver's command")
    first.close()
    assert not sender.send(Command(2, 0, 0.0, 0.5))  # the servo node died: this one must go over DDS
    assert not sender.linked
    successor = Heard()
    second = CommandReceiver(link_address, successor.on_command, successor.reports.append)
    try:
        clock.now += RETRY_S
        assert sender.send(Command(3, 0, 0.0, 0.5))
        wait_for(lambda: successor.commands, what="the restarted receiver's command")
        assert [command.sec for command in successor.commands] == [3]
    finally:
        sender.close()
        second.close()


def test_a_receiver_that_does_not_read_never_blocks_the_sender(receiver, heard, link_address):
    heard.gate.clear()  # the servo node stalled: its link thread stops taking commands
    sender = CommandSender(link_address, FakeClock())
    results = [sender.send(Command(i, 0, 0.0, 0.5)) for i in range(1, 5001)]
    assert results[0] and not results[-1]  # the queue filled: the rest went over DDS
    assert sender.linked  # a stall is not a departure: the link stays for when it reads again
    heard.gate.set()
    wait_for(lambda: len(heard.commands) == sum(results), what="every command that was queued")
    sender.close()


def test_the_receiver_counts_its_senders(receiver, link_address):
    sender = CommandSender(link_address, FakeClock())
    assert sender.send(Command(1, 0, 0.0, 0.0))
    wait_for(lambda: receiver.senders == 1, what="one sender")
    sender.close()
    wait_for(lambda: receiver.senders == 0, what="the sender gone")


def test_a_second_receiver_of_the_same_name_is_refused(receiver, link_address, heard):
    with pytest.raises(OSError):
        CommandReceiver(link_address, heard.on_command, heard.reports.append)


def test_a_message_of_another_shape_is_reported_and_ignored(receiver, heard, link_address):
    stray = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    stray.connect(link_address)
    stray.send(b"not a command")
    wait_for(lambda: heard.reports, what="the report of the odd message")
    assert "ignored a message of 13 bytes" in heard.reports[0]
    assert not heard.commands
    stray.close()


def test_recent_commands_remember_the_last_ones():
    recent = RecentCommands(size=2)
    for sec in (1, 2, 3):
        recent.add(Command(sec, 0, 0.0, 0.5))
    assert Command(3, 0, 0.0, 0.5) in recent and Command(2, 0, 0.0, 0.5) in recent
    assert Command(1, 0, 0.0, 0.5) not in recent


def test_commands_queued_while_the_node_was_stalled_are_dropped_not_handed_on(link_address, heard):
    lock = threading.RLock()
    receiver = CommandReceiver(link_address, heard.on_command, heard.reports.append, lock=lock)
    sender = CommandSender(link_address, FakeClock())
    try:
        with lock:  # the node busy (or stopped): the link's thread hands nothing on meanwhile
            assert all(sender.send(Command(sec, 0, 0.0, 0.5)) for sec in range(1, 6))
            assert receiver.discard_queued() == 5
        assert sender.send(Command(6, 0, 0.0, 0.5))
        wait_for(lambda: heard.commands, what="the command sent after the discard")
        assert [command.sec for command in heard.commands] == [6]
    finally:
        sender.close()
        receiver.close()


class Check:
    """A check the receiver's thread times (as the servo node's watchdog): due at `due_s` (monotonic), if set."""

    def __init__(self) -> None:
        self.due_s: float | None = None
        self.ran: list[tuple[float, str]] = []  # when, on which thread

    def due_in(self) -> float | None:
        return None if self.due_s is None else self.due_s - time.monotonic()

    def on_due(self) -> None:
        self.ran.append((time.monotonic(), threading.current_thread().name))
        self.due_s = None


def test_a_check_that_falls_due_runs_on_the_link_thread_when_no_command_came_first(link_address, heard):
    check = Check()
    due_s = check.due_s = time.monotonic() + 0.2
    receiver = CommandReceiver(link_address, heard.on_command, heard.reports.append, due_in=check.due_in,
                               on_due=check.on_due)
    try:
        wait_for(lambda: check.ran, what="the check, due 0.2 s after the receiver started")
        [(when, thread)] = check.ran
        assert thread == "drive-commands" and when >= due_s
    finally:
        receiver.close()


def test_commands_that_push_the_check_back_keep_it_from_running_until_they_stop(link_address, heard):
    """What the servo node's watchdog relies on: each command written starts the period again, so while commands
    come the check never runs (nothing wakes for it), and once they stop it runs a period after the last."""
    check = Check()

    def on_command(command: Command) -> None:
        heard.on_command(command)
        check.due_s = time.monotonic() + 1.0

    receiver = CommandReceiver(link_address, on_command, heard.reports.append, due_in=check.due_in,
                               on_due=check.on_due)
    sender = CommandSender(link_address, FakeClock())
    try:
        for sec in range(1, 31):  # 1.5 s of commands, 20 a second: each pushes the check a second on
            assert sender.send(Command(sec, 0, 0.0, 0.5))
            time.sleep(0.05)
        last_sent = time.monotonic()
        wait_for(lambda: len(heard.commands) == 30, what="all 30 commands")
        assert check.ran == []
        wait_for(lambda: check.ran, what="the check once the commands stopped")
        assert check.ran[0][0] >= last_sent + 0.9
    finally:
        sender.close()
        receiver.close()


def test_wake_makes_the_thread_time_a_check_another_thread_made_due(link_address, heard):
    """The thread waits for a command with no check due; the servo node's executor (a command over DDS) makes one
    due: without `wake` it would only run after the next command on the link."""
    check = Check()
    receiver = CommandReceiver(link_address, heard.on_command, heard.reports.append, due_in=check.due_in,
                               on_due=check.on_due)
    try:
        wait_for(lambda: receiver.alive, what="the receiver's thread")
        check.due_s = time.monotonic() + 0.1
        receiver.wake()
        wait_for(lambda: check.ran, what="the check made due from another thread")
    finally:
        receiver.close()
    receiver.wake()  # after close: nothing to wake, and no file of somebody else's written to
