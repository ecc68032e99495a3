"""Logged-in sessions and the login rate limit, kept in memory.

Each login gets its own session (several staff at once; the original had one global token, so a
second login logged out the first). A session has an id (in the signed cookie), a CSRF token every
write must echo, and an expiry. Sessions end with a node restart: people log in again.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

ENDED_KEPT = 256  # ended sessions whose reason is kept: more devices than a day at the track logs in


@dataclass(frozen=True)
class Session:
    session_id: str
    csrf_token: str
    expires_at: float


class SessionStore:
    """Thread-safe map of live sessions; `clock` is injectable so tests can expire sessions."""

    def __init__(self, lifetime_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.lifetime_s = lifetime_s
        self._clock = clock
        self._sessions: dict[str, Session] = {}
        self._ended: dict[str, str] = {}  # insertion order: the oldest is forgotten first
        self._lock = threading.Lock()

    def create(self, csrf_token: str | None = None) -> Session:
        """A new session; `csrf_token` keeps the token the browser's login page carried (`new_csrf_token`), so a
        client that read it there (as the original's clients did: Flask-WTF's token outlived the login) can use
        it after logging in. A new one when None."""
        session = Session(secrets.token_urlsafe(32), csrf_token or new_csrf_token(), self._clock() + self.lifetime_s)
        with self._lock:
            self._purge()
            self._sessions[session.session_id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session with that id, or None (unknown, ended or expired)."""
        if not session_id:
            return None
        with self._lock:
            self._purge()
            return self._sessions.get(session_id)

    def end(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def end_all_except(self, session_id: str, reason: str) -> None:
        """After a password change, every other browser must log in with the new password; `reason` is what
        their login page says (`ended_reason`), for the last ENDED_KEPT sessions ended this way."""
        with self._lock:
            for ended in self._sessions.keys() - {session_id}:
                self._ended[ended] = reason
            while len(self._ended) > ENDED_KEPT:
                del self._ended[next(iter(self._ended))]
            self._sessions = {k: v for k, v in self._sessions.items() if k == session_id}

    def ended_reason(self, session_id: str | None) -> str:
        """Why the session with that id was ended by someone else ("" when it was not, or is forgotten)."""
        with self._lock:
            return self._ended.get(session_id or "", "")

    def count(self) -> int:
        with self._lock:
            self._purge()
            return len(self._sessions)

    def _purge(self) -> None:
        now = self._clock()
        for key in [k for k, v in self._sessions.items() if v.expires_at <= now]:
            del self._sessions[key]


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(session: Session, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(session.csrf_token.encode(), presented.encode())


class LoginLimiter:
    """At most `attempts` failed logins per client address in any `window_s` seconds (also the limit of the
    public routes' requests, which `spend` counts)."""

    def __init__(self, attempts: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._attempts = attempts
        self._window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> float:
        """Seconds until `client` may try again (0 = now)."""
        with self._lock:
            failures = self._recent(client)
            if len(failures) < self._attempts:
                return 0.0
            return max(0.0, failures[0] + self._window_s - self._clock())

    def failed(self, client: str) -> None:
        with self._lock:
            self._recent(client).append(self._clock())

    def spend(self, client: str) -> float:
        """Count one request from `client` unless it is over the limit: the seconds it must wait (0 = counted)."""
        with self._lock:
            failures = self._recent(client)
            if len(failures) >= self._attempts:
                return max(0.0, failures[0] + self._window_s - self._clock())
            failures.append(self._clock())
            return 0.0

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    def _recent(self, client: str) -> deque[float]:
        failures = self._failures.setdefault(client, deque())
        cutoff = self._clock() - self._window_s
        while failures and failures[0] <= cutoff:
            failures.popleft()
        return failures
