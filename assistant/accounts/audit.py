"""The audit log: who did what, when. Anyone may record; admins read it (`assistant users audit`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.accounts import store
from assistant.accounts.roles import User
from assistant.accounts.store import connect

DETAIL_CHARS = 1000  # a question is cut to 200 by its caller; this bounds anything else


@dataclass(frozen=True, slots=True)
class AuditEvent:
    time: float
    user: str
    action: str
    detail: str


def record(db: Path, user: User | str, action: str, detail: str = "") -> None:
    """Append one event: `user` (or "cli", "anonymous") did `action`, with `detail` (never a password)."""
    name = user.name if isinstance(user, User) else user
    with connect(db) as conn:
        conn.execute(
            "INSERT INTO audit (time, user, action, detail) VALUES (?, ?, ?, ?)",
            (store.now(), name, action, detail[:DETAIL_CHARS]),
        )


def recent(db: Path, limit: int = 50) -> list[AuditEvent]:
    """Return the latest `limit` events, oldest first."""
    if not store.exists(db):
        return []
    with connect(db, write=False) as conn:
        rows = conn.execute(
            "SELECT time, user, action, detail FROM audit ORDER BY id DESC LIMIT ?", (max(limit, 0),)
        ).fetchall()
    return [AuditEvent(r["time"], r["user"], r["action"], r["detail"]) for r in reversed(rows)]
