"""Failed sign-ins: counted per name and per client address, to refuse guessing after a few tries."""

from __future__ import annotations

from pathlib import Path

from assistant.accounts import store
from assistant.accounts.store import connect

MAX_FAILURES = 5  # failed sign-ins for one name, or from one address, within WINDOW_S ...
WINDOW_S = 15 * 60.0  # ... lock further attempts until the oldest of them is this old


def record_failure(db: Path, name: str, address: str) -> None:
    """Remember a failed sign-in for `name` from `address`."""
    t = store.now()
    with connect(db) as conn:
        conn.execute("DELETE FROM login_failures WHERE time < ?", (t - WINDOW_S,))
        conn.execute("INSERT INTO login_failures (name, address, time) VALUES (?, ?, ?)", (name[:64], address, t))


def locked(db: Path, name: str, address: str) -> bool:
    """Return whether sign-ins for `name` or from `address` are refused now (too many recent failures)."""
    if not store.exists(db):
        return False
    since = store.now() - WINDOW_S
    with connect(db, write=False) as conn:
        by_name, by_address = conn.execute(
            "SELECT COALESCE(SUM(name = ?), 0), COALESCE(SUM(address = ?), 0) FROM login_failures WHERE time >= ?",
            (name[:64], address, since),
        ).fetchone()
    return max(by_name, by_address) >= MAX_FAILURES


def clear_failures(db: Path, name: str) -> None:
    """Forget `name`'s failures after a successful sign-in."""
    with connect(db) as conn:
        conn.execute("DELETE FROM login_failures WHERE name = ?", (name[:64],))
