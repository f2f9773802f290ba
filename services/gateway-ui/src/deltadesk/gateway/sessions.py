"""Login sessions: opaque random tokens held in the gateway's memory, each with its CSRF token.

The browser holds only the token (an HttpOnly, SameSite=Strict cookie); the gateway keeps the
token's SHA-256, so nothing in its memory can be replayed as a cookie. A session ends on logout,
after `idle_s` without a request, or `max_s` after login. A gateway restart ends every session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

TOKEN_BYTES = 32
MAX_SESSIONS = 64  # one user: a handful of browsers; beyond that the oldest session ends


@dataclass(frozen=True, slots=True)
class Session:
    key: str  # SHA-256 of the cookie's token
    user: str
    csrf_token: str
    started_at: datetime
    last_seen: datetime
    expires_at: datetime  # the absolute end, whatever the activity


class SessionStore:
    def __init__(self, *, idle_s: float, max_s: float, capacity: int = MAX_SESSIONS) -> None:
        self._idle = timedelta(seconds=idle_s)
        self._max = timedelta(seconds=max_s)
        self._capacity = capacity
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    @property
    def max_age_s(self) -> int:
        return int(self._max.total_seconds())

    def start(self, user: str, now: datetime) -> tuple[str, Session]:
        """A new session: (the cookie's token, the session)."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        session = Session(
            key=_key(token),
            user=user,
            csrf_token=secrets.token_urlsafe(TOKEN_BYTES),
            started_at=now,
            last_seen=now,
            expires_at=now + self._max,
        )
        self._sessions[session.key] = session
        while len(self._sessions) > self._capacity:
            self._sessions.popitem(last=False)
        return token, session

    def find(self, token: str | None, now: datetime) -> Session | None:
        """The live session of a cookie's token (and note the activity), or None."""
        if not token:
            return None
        key = _key(token)
        session = self._sessions.get(key)
        if session is None:
            return None
        if now >= session.expires_at or now - session.last_seen >= self._idle:
            del self._sessions[key]
            return None
        session = replace(session, last_seen=now)
        self._sessions[key] = session
        self._sessions.move_to_end(key)
        return session

    def alive(self, key: str, now: datetime) -> bool:
        """Whether a session still stands, without counting this as activity (for open streams)."""
        session = self._sessions.get(key)
        return session is not None and now < session.expires_at and now - session.last_seen < self._idle

    def end(self, key: str) -> None:
        self._sessions.pop(key, None)


def csrf_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
