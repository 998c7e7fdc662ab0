"""Who is calling: the injected `identify` finds the User of a request's bearer token, and what they may do.

The login layer owns tokens and sessions; the API only receives `identify`. With accounts, it returns the
user of `Authorization: Bearer TOKEN` or None (answered 401). In an app without accounts, the login layer
passes `local_identify`, which answers every request as the local user (every right, every document), as the
chat does; such an app listens on 127.0.0.1 only, by default.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

import anyio
from fastapi import Request

from assistant.accounts import tokens, users
from assistant.accounts.roles import LOCAL_USER, User, may
from assistant.api.errors import forbidden, unauthorized
from assistant.api.limits import TokenBuckets

Identify = Callable[[Request], User | None]
Caller = Callable[[Request], Awaitable[User]]


def bearer_token(request: Request) -> str | None:
    """Return the token of an `Authorization: Bearer TOKEN` header, or None without one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def token_identify(tokens: Mapping[str, User]) -> Identify:
    """Return an `identify` that knows the users of a fixed {token: User} table (tests, and until accounts land)."""

    def identify(request: Request) -> User | None:
        token = bearer_token(request)
        return tokens.get(token) if token else None

    return identify


def accounts_identify(db: Path) -> Identify:
    """Return the app's `identify`: the user of the request's API token (checked on every call, so a revoked
    token or a removed user is refused at once); the local user while the accounts database holds no user.

    A session cookie does not open the API: only a token does, so that no page of another site can drive it
    through a signed-in browser.
    """

    def identify(request: Request) -> User | None:
        if not users.has_users(db):
            return LOCAL_USER
        token = bearer_token(request)
        return users.get_user(db, tokens.token_user(db, token)) if token else None

    return identify


def local_identify(request: Request) -> User:
    """Return the local user for any request: the `identify` of an app without accounts."""
    del request
    return LOCAL_USER


def rate_key(request: Request) -> str:
    """Return what a request's rate is counted by: a digest of its token, else (no accounts) its client address."""
    token = bearer_token(request)
    if token:
        return "token:" + hashlib.sha256(token.encode()).hexdigest()
    return "client:" + (request.client.host if request.client else "")


def caller_dependency(identify: Identify, buckets: TokenBuckets) -> Caller:
    """Return the FastAPI dependency giving each request's User: 401 without one, 429 over the token's rate."""

    async def caller(request: Request) -> User:
        user = await anyio.to_thread.run_sync(identify, request)  # it may read SQLite: off the event loop
        if user is None:
            raise unauthorized()
        buckets.check(rate_key(request))
        return user

    return caller


def require(user: User, action: str) -> None:
    """Raise a 403 unless `user` may do `action` (one of accounts.roles.ACTIONS)."""
    if not may(user, action):
        raise forbidden(action, user.role)
