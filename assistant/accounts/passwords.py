"""Password hashes: scrypt in a self-describing string, checked in constant time. A password is never logged."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

from assistant.accounts.store import AccountError

MIN_LENGTH = 8
# scrypt's recommended interactive cost (n=2**15, r=8, p=1: 32 MiB and ~0.1 s a check on one core).
N, R, P = 2**15, 8, 1
MAXMEM = 64 * 1024 * 1024  # room for 128 * r * n bytes; hashlib's default cap (32 MiB) is just too small
SALT_BYTES = 16
KEY_BYTES = 32


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=MAXMEM, dklen=length)


def check_strength(password: str) -> None:
    """Raise AccountError when `password` is too weak to store."""
    if len(password) < MIN_LENGTH:
        raise AccountError(f"The password is too short: use at least {MIN_LENGTH} characters.")


def hash_password(password: str) -> str:
    """Return `scrypt$n$r$p$salt$hash` for `password`, with a fresh random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(_scrypt(password, salt, N, R, P, KEY_BYTES))}"


def verify_password(password: str, stored: str) -> bool:
    """Return whether `password` matches the `stored` hash (False for a malformed one)."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        want = base64.b64decode(expected, validate=True)
        got = _scrypt(password, base64.b64decode(salt, validate=True), int(n), int(r), int(p), len(want))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


@functools.cache
def dummy_hash() -> str:
    """Return a hash to check against when the name is unknown: a wrong name costs the time of a wrong password."""
    return hash_password(secrets.token_urlsafe(16))
