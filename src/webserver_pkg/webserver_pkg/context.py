"""What every blueprint shares: the config, the robot bridge, the secrets and the sessions.

One `Console` per app, kept in `app.extensions`; views reach it through `console()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app, g
from flask import session as cookie

from webserver_pkg.config import ConsoleConfig
from webserver_pkg.robot.bridge import RobotBridge
from webserver_pkg.services.credentials import FirstPassword, PasswordStore
from webserver_pkg.services.event_queue import EventStore
from webserver_pkg.services.frame_hub import FrameHub
from webserver_pkg.services.run_owner import RunOwners, StarterWatch, StarterWatchThread
from webserver_pkg.services.sessions import LoginLimiter, Session, SessionStore
from webserver_pkg.services.uploads import Installer

EXTENSION = "deepracer_console"


@dataclass
class Console:
    config: ConsoleConfig
    bridge: RobotBridge
    passwords: PasswordStore
    first_password: FirstPassword | None
    sessions: SessionStore
    login_limiter: LoginLimiter
    frames: FrameHub
    installer: Installer
    public_stop_limiter: LoginLimiter  # the login page's unauthenticated STOP, per client address
    event: EventStore  # the car's name and the racer queue (views.event)
    clock: Callable[[], float]  # monotonic seconds: sessions, the login limit, whether a device is still there
    owners: RunOwners = field(default_factory=RunOwners)  # who started the run (services.run_owner)
    starter_watch: StarterWatch | None = None
    starter_thread: StarterWatchThread | None = None
    stop_note: str = ""  # why the console itself stopped the last run; "" once the car is started again
    timezone_changed: bool = False  # set_timezone succeeded since start (the community console's get_time field)

    def close(self) -> None:
        """Stop what runs beside the requests: video viewers, the installer thread, the starter watch."""
        self.frames.close()
        self.installer.close()
        if self.starter_thread is not None:
            self.starter_thread.close()


def console() -> Console:
    return current_app.extensions[EXTENSION]


def current_session() -> Session | None:
    """The live session of this request (from the signed cookie), cached for the request."""
    if "console_session" not in g:
        g.console_session = console().sessions.get(cookie.get("sid"))
    return g.console_session


def set_current_session(session: Session | None) -> None:
    """The session this request now has: a login's new one, or None once it ended (the answer's cookies follow)."""
    g.console_session = session
    g.session_changed = True


def logged_in_session() -> Session:
    """The session of a request the guard let through (views behind the guard only)."""
    session = current_session()
    if session is None:
        raise RuntimeError("logged_in_session() called from a view the login guard does not cover")
    return session
