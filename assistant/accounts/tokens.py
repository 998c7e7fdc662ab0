"""API tokens: random secrets shown once, stored as their SHA-256 with a short visible prefix, revocable."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from assistant.accounts import store
from assistant.accounts.store import AccountError, connect

PREFIX_CHARS = 8  # shown by `users list`-like views and accepted by `--revoke PREFIX`; 48 bits, not a secret


def digest(secret: str) -> str:
    """Return the stored form of a token or session id: its SHA-256 in hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(db: Path, name: str) -> str:
    """Return a new API token for `name`; only its digest is kept, so this is the one time it can be read."""
    token = secrets.token_urlsafe(32)
    while token.startswith("-"):  # its prefix must read as a value, not an option: `users token NAME --revoke PREFIX`
        token = secrets.token_urlsafe(32)
    with connect(db) as conn:
        if not conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise AccountError(f"No user named {name!r}.")
        conn.execute(
            "INSERT INTO tokens (hash, prefix, name, created) VALUES (?, ?, ?, ?)",
            (digest(token), token[:PREFIX_CHARS], name, store.now()),
        )
    return token


def revoke_tokens(db: Path, name: str, prefix: str | None = None) -> int:
    """Revoke `name`'s active tokens (only the one starting with `prefix` when given); return how many."""
    with connect(db) as conn:
        if not conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise AccountError(f"No user named {name!r}.")
        query = "UPDATE tokens SET revoked = ? WHERE name = ? AND revoked IS NULL"
        values: tuple[object, ...] = (store.now(), name)
        if prefix is not None:
            query += " AND prefix = ?"
            values += (prefix[:PREFIX_CHARS],)
        count = conn.execute(query, values).rowcount
    if prefix is not None and not count:
        raise AccountError(f"{name!r} has no active token starting with {prefix!r}.")
    return count


def token_user(db: Path, token: str) -> str | None:
    """Return the name of the enabled user holding the unrevoked `token`, or None."""
    if not token or not store.exists(db):
        return None
    with connect(db, write=False) as conn:
        row = conn.execute(
            "SELECT t.name FROM tokens t JOIN users u ON u.name = t.name "
            "WHERE t.hash = ? AND t.revoked IS NULL AND NOT u.disabled",
            (digest(token),),
        ).fetchone()
    return None if row is None else str(row["name"])
