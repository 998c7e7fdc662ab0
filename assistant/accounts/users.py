"""Users: add, remove, list, change a password, look one up, check a sign-in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from assistant.accounts import conversations, store
from assistant.accounts.passwords import check_strength, dummy_hash, hash_password, verify_password
from assistant.accounts.roles import GROUP_NAME, ROLES, User
from assistant.accounts.store import AccountError, connect

NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user as the admin sees it: never the password hash."""

    name: str
    role: str
    groups: tuple[str, ...]
    created: float
    disabled: bool
    active_tokens: int


def check_name(name: str) -> str:
    """Return `name` if it is a valid user name, else raise AccountError."""
    if not NAME.fullmatch(name):
        raise AccountError(f"Bad user name {name!r}: use 1-64 letters, digits and . _ - @.")
    return name


def check_groups(groups: list[str] | tuple[str, ...] | frozenset[str]) -> tuple[str, ...]:
    """Return the sorted unique `groups`, or raise AccountError naming a bad one."""
    for group in groups:
        if not GROUP_NAME.fullmatch(group):
            raise AccountError(f"Bad group name {group!r}: use letters, digits, _ and -.")
    return tuple(sorted(set(groups)))


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}: use one of {', '.join(ROLES)}.")
    return role


def add_user(db: Path, name: str, role: str, password: str, groups: tuple[str, ...] = ()) -> User:
    """Create a user; return it. Refuses a duplicate or bad name, an unknown role and a weak password."""
    check_name(name)
    check_role(role)
    chosen = check_groups(groups)
    check_strength(password)
    hashed = hash_password(password)  # before the transaction: it takes ~0.1 s of CPU
    with connect(db) as conn:
        if conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise AccountError(f"A user named {name!r} already exists.")
        conn.execute(
            "INSERT INTO users (name, role, password, created) VALUES (?, ?, ?, ?)", (name, role, hashed, store.now())
        )
        conn.executemany("INSERT INTO user_groups (name, group_name) VALUES (?, ?)", [(name, g) for g in chosen])
    return User(name, role, frozenset(chosen))


def remove_user(db: Path, name: str) -> None:
    """Delete the user `name` with its sessions, tokens and conversations; raise AccountError when there is none.

    The conversations go too: a later account given the same name must not find them.
    """
    with connect(db) as conn:
        if not conn.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount:
            raise AccountError(f"No user named {name!r}.")
        # The foreign keys cascade; these say it for a file whose other tables hold the name without one.
        conn.execute("DELETE FROM sessions WHERE name = ?", (name,))
        conn.execute("DELETE FROM tokens WHERE name = ?", (name,))
        conn.execute("DELETE FROM user_groups WHERE name = ?", (name,))
    conversations.delete_all(db, name)


def set_password(db: Path, name: str, password: str) -> None:
    """Change `name`'s password and end all its sessions (its API tokens stay valid)."""
    check_strength(password)
    hashed = hash_password(password)
    with connect(db) as conn:
        if not conn.execute("UPDATE users SET password = ? WHERE name = ?", (hashed, name)).rowcount:
            raise AccountError(f"No user named {name!r}.")
        conn.execute("DELETE FROM sessions WHERE name = ?", (name,))


def has_users(db: Path) -> bool:
    """Return whether any account exists (none: the app serves the local user without sign-in)."""
    if not store.exists(db):
        return False
    with connect(db, write=False) as conn:
        return conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None


def get_user(db: Path, name: str | None) -> User | None:
    """Return the enabled user `name`, or None when there is no such user."""
    if not name or not store.exists(db):
        return None
    with connect(db, write=False) as conn:
        row = conn.execute("SELECT role FROM users WHERE name = ? AND NOT disabled", (name,)).fetchone()
        if row is None:
            return None
        groups = conn.execute("SELECT group_name FROM user_groups WHERE name = ?", (name,)).fetchall()
    return User(name, row["role"], frozenset(g[0] for g in groups))


def authenticate(db: Path, name: str, password: str) -> User | None:
    """Return the user if `password` is `name`'s, else None; an unknown name takes as long as a wrong password."""
    row = None
    if NAME.fullmatch(name) and store.exists(db):
        with connect(db, write=False) as conn:
            row = conn.execute("SELECT password FROM users WHERE name = ? AND NOT disabled", (name,)).fetchone()
    if row is None:
        verify_password(password, dummy_hash())
        return None
    return get_user(db, name) if verify_password(password, row["password"]) else None


def list_users(db: Path) -> list[UserRecord]:
    """Return every user, by name, with groups and the number of unrevoked tokens."""
    if not store.exists(db):
        return []
    with connect(db, write=False) as conn:
        rows = conn.execute(
            "SELECT u.name, u.role, u.created, u.disabled, "
            "(SELECT COUNT(*) FROM tokens t WHERE t.name = u.name AND t.revoked IS NULL) AS tokens, "
            "(SELECT group_concat(group_name, ' ') FROM user_groups g WHERE g.name = u.name) AS groups "
            "FROM users u ORDER BY u.name"
        ).fetchall()
    return [
        UserRecord(
            r["name"],
            r["role"],
            tuple(sorted((r["groups"] or "").split())),
            r["created"],
            bool(r["disabled"]),
            r["tokens"],
        )
        for r in rows
    ]
