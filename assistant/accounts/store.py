"""The accounts database: one SQLite file, opened per call, its schema created and migrated on first use.

Every table of the file (users, sessions, tokens, the audit log, conversations) is made by the migrations
below; `PRAGMA user_version` counts those applied, and no table is ever dropped here.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.errors import AssistantError

BUSY_TIMEOUT_S = 10.0  # a writer waits this long for another process's transaction before failing

# Each entry migrates the schema from version i to i + 1; append, never edit a published step.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE IF NOT EXISTS users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        password TEXT NOT NULL,
        created REAL NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE IF NOT EXISTS user_groups (
        name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        group_name TEXT NOT NULL,
        PRIMARY KEY (name, group_name)
    );
    CREATE TABLE IF NOT EXISTS tokens (
        hash TEXT PRIMARY KEY,
        prefix TEXT NOT NULL,
        name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        created REAL NOT NULL,
        revoked REAL
    );
    CREATE INDEX IF NOT EXISTS tokens_by_name ON tokens(name);
    CREATE TABLE IF NOT EXISTS sessions (
        hash TEXT PRIMARY KEY,
        name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        created REAL NOT NULL,
        last_seen REAL NOT NULL,
        expires REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS sessions_by_name ON sessions(name);
    CREATE TABLE IF NOT EXISTS login_failures (
        name TEXT NOT NULL,
        address TEXT NOT NULL,
        time REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS failures_by_time ON login_failures(time);
    CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time REAL NOT NULL,
        user TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    """,
    # Each user's conversations (conversations.py). IF NOT EXISTS: files from before this step may hold them.
    """
    CREATE TABLE IF NOT EXISTS conversations (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        title TEXT NOT NULL,
        created TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS conversations_by_owner ON conversations (owner, updated);
    CREATE TABLE IF NOT EXISTS turns (
        conversation TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        PRIMARY KEY (conversation, position)
    );
    """,
)

_migrated: set[Path] = set()
_migrating = threading.Lock()


class AccountError(AssistantError):
    """An account change or look-up that cannot be done as asked (duplicate or unknown name, weak password)."""


def _open(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise AccountError(f"Cannot open the accounts database {path}: {exc}") from None
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the schema up to date once per process and file; concurrent processes serialise on BEGIN IMMEDIATE."""
    with _migrating:
        if path in _migrated:
            return
        conn.execute("PRAGMA journal_mode = WAL")  # readers never wait for the writer; kept in the file
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for step, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in script.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {step}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        _migrated.add(path)


@contextmanager
def connect(db: Path, write: bool = True) -> Iterator[sqlite3.Connection]:
    """Yield a connection to the accounts database `db` inside one short transaction, committed on success.

    A writing transaction takes the write lock at once (no upgrade dead-lock between two writers); a reading one
    runs beside the writer (WAL).
    """
    path = Path(db).resolve()
    conn = _open(path)
    try:
        _migrate(conn, path)
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise AccountError(f"The accounts database {path} cannot be used: {exc}") from None
    finally:
        conn.close()


def exists(db: Path) -> bool:
    """Return whether the accounts database file exists (an app without one has no accounts)."""
    return Path(db).is_file()


def now() -> float:
    """Return the time stored in the database: seconds since the epoch."""
    return time.time()
