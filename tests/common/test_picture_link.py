"""The local link that carries the camera's display pictures to the console (picture_link), over real sockets:
pictures arrive whole and in order, the camera never waits for a console, and each end copes with the other coming
and going (the console reads the topic while the link is down, so it must hear exactly when that is)."""

from __future__ import annotations

import itertools
import os
import socket
import threading

import pytest

from deepracer_common_pkg.picture_link import PictureReceiver, PictureServer
from support.rosgraph import wait_for

_names = itertools.count()


class Console:
    """What a receiver handed on: the pictures, the link's ups and downs, its reports."""

    def __init__(self) -> None:
        self.pictures: list[bytes] = []
        self.links: list[bool] = []
        self.reports: list[str] = []
        self._lock = threading.Lock()

    def on_picture(self, picture: bytes) -> None:
        with self._lock:
            self.pictures.append(picture)

    def on_link(self, up: bool) -> None:
        with self._lock:
            self.links.append(up)

    def receiver(self, link_address: str) -> PictureReceiver:
        return PictureReceiver(link_address, self.on_picture, self.on_link, self.reports.append)


@pytest.fixture
def link_address() -> str:
    return f"\0deepracer-test/{os.getpid()}/pictures/{next(_names)}"


@pytest.fixture
def closing():
    ends: list = []
    yield ends.append
    for end in reversed(ends):
        end.close()


def connected(server: PictureServer, count: int = 1) -> None:
    wait_for(lambda: server.consoles() == count, 5, f"{count} console(s) on the link")


def test_pictures_arrive_whole_and_in_order_and_the_link_says_it_is_up(link_address, closing) -> None:
    reports: list[str] = []
    server = PictureServer(link_address, reports.append)
    closing(server)
    console = Console()
    closing(console.receiver(link_address))
    connected(server)
    wait_for(lambda: console.links == [True], 5, "the link up")
    pictures = [bytes([n]) * (20_000 + n) for n in range(20)] + [os.urandom(300_000)]  # a large one too
    for picture in pictures:
        server.send(picture)
    wait_for(lambda: len(console.pictures) == len(pictures), 5, "every picture")
    assert console.pictures == pictures and not reports and not console.reports


def test_a_console_gets_pictures_without_being_counted_first(link_address, closing) -> None:
    """The camera asks how many consoles are connected only when no DDS reader already wants the pictures: a console
    that connected meanwhile still gets the next one (it got none in the camera node's test before)."""
    server = PictureServer(link_address, print)
    closing(server)
    console = Console()
    closing(console.receiver(link_address))
    wait_for(lambda: console.links == [True], 5, "the link up")

    def delivered() -> bool:
        server.send(b"picture")
        return bool(console.pictures)
    wait_for(delivered, 5, "a picture sent with no count asked before")


def test_with_no_console_nothing_is_sent_and_nothing_fails(link_address, closing) -> None:
    server = PictureServer(link_address, lambda text: pytest.fail(text))
    closing(server)
    assert server.consoles() == 0
    server.send(b"\xff\xd8 picture")


def test_a_console_started_before_the_camera_connects_when_it_comes_and_again_after_a_restart(
        link_address, closing) -> None:
    console = Console()
    closing(console.receiver(link_address))
    first = PictureServer(link_address, print)
    connected(first)
    wait_for(lambda: console.links == [True], 5, "the link up")
    first.send(b"one")
    wait_for(lambda: console.pictures == [b"one"], 5, "the first camera's picture")
    first.close()  # the camera node went away
    wait_for(lambda: console.links == [True, False], 5, lambda: f"the link down: {console.links}")
    second = PictureServer(link_address, print)  # its name is free again
    closing(second)
    connected(second)
    wait_for(lambda: console.links == [True, False, True], 5, "the link up again")
    second.send(b"two")
    wait_for(lambda: console.pictures == [b"one", b"two"], 5, "the new camera's picture")


def test_a_console_that_went_away_is_dropped_at_the_next_picture(link_address, closing) -> None:
    server = PictureServer(link_address, print)
    closing(server)
    console = Console()
    receiver = console.receiver(link_address)
    connected(server)
    receiver.close()
    assert console.links[-1] is False
    server.send(b"to nobody")
    assert server.consoles() == 0


def test_a_console_that_does_not_read_never_holds_the_camera_and_misses_pictures_instead(link_address,
                                                                                            closing) -> None:
    server = PictureServer(link_address, print)
    closing(server)
    stalled = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    closing(stalled)
    stalled.connect(link_address)
    connected(server)
    picture = bytes(50_000)
    for _ in range(200):  # 10 MB: far beyond what a socket queues
        server.send(picture)  # returns each time: the camera's thread never waits
    stalled.setblocking(False)
    queued = 0
    while True:
        try:
            stalled.recv(100_000)
        except BlockingIOError:
            break
        queued += 1
    assert 0 < queued < 200
    assert server.consoles() == 1  # still connected: it gets the next picture once it reads again


def test_a_second_camera_of_the_same_name_is_refused(link_address, closing) -> None:
    closing(PictureServer(link_address, print))
    with pytest.raises(OSError):
        PictureServer(link_address, print)
