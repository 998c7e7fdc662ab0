"""Browser sessions: a random id in the cookie, only its SHA-256 in the database, with idle and absolute limits."""

from __future__ import annotations

import secrets
from pathlib import Path

from assistant.accounts import store
from assistant.accounts.store import connect
from assistant.accounts.tokens import digest

IDLE_S = 12 * 3600.0  # a session unused this long ends
MAX_AGE_S = 7 * 24 * 3600.0  # and any session ends this long after sign-in
TOUCH_EVERY_S = 60.0  # last_seen is written at most this often: most requests only read


def create_session(db: Path, name: str, max_age_s: float = MAX_AGE_S) -> str:
    """Return a new session id for `name` (always fresh: never one a client offered)."""
    session_id = secrets.token_urlsafe(32)
    t = store.now()
    with connect(db) as conn:
        conn.execute("DELETE FROM sessions WHERE expires < ?", (t,))  # sweep the expired ones now and then
        conn.execute(
            "INSERT INTO sessions (hash, name, created, last_seen, expires) VALUES (?, ?, ?, ?, ?)",
            (digest(session_id), name, t, t, t + max_age_s),
        )
    return session_id


def session_user(db: Path, session_id: str, idle_s: float = IDLE_S) -> str | None:
    """Return the name of the enabled user of a live `session_id`, or None (unknown, idle too long, expired)."""
    if not session_id or not store.exists(db):
        return None
    t = store.now()
    key = digest(session_id)
    with connect(db, write=False) as conn:
        row = conn.execute(
            "SELECT s.name, s.last_seen FROM sessions s JOIN users u ON u.name = s.name "
            "WHERE s.hash = ? AND s.expires > ? AND s.last_seen > ? AND NOT u.disabled",
            (key, t, t - idle_s),
        ).fetchone()
    if row is None:
        return None
    if t - row["last_seen"] > TOUCH_EVERY_S:
        with connect(db) as conn:
            conn.execute("UPDATE sessions SET last_seen = ? WHERE hash = ?", (t, key))
    return str(row["name"])


def end_session(db: Path, session_id: str) -> str | None:
    """Delete the session `session_id`; return its user's name (None if there was none)."""
    if not session_id or not store.exists(db):
        return None
    with connect(db) as conn:
        row = conn.execute("SELECT name FROM sessions WHERE hash = ?", (digest(session_id),)).fetchone()
        conn.execute("DELETE FROM sessions WHERE hash = ?", (digest(session_id),))
    return None if row is None else str(row["name"])


def end_sessions(db: Path, name: str) -> int:
    """Delete every session of `name`; return how many there were."""
    with connect(db) as conn:
        return int(conn.execute("DELETE FROM sessions WHERE name = ?", (name,)).rowcount)
