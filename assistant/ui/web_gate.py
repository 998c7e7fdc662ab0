"""The sign-in gate: an ASGI middleware in front of every route, Gradio's included.

With no account in the database every request is the local user, as before accounts existed. Once one
exists (checked on each request, so `assistant users add` needs no restart) a request needs a live session
cookie or an `Authorization: Bearer` API token: a page request without one is sent to /login, anything else
gets 401. The user's name is left in the ASGI scope, where Gradio's auth_dependency reads it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import anyio

from assistant.accounts import sessions, tokens, users
from assistant.accounts.roles import LOCAL_USER
from assistant.config import Settings

SESSION_COOKIE = "assistant_session"
USER_KEY = "assistant.user"  # the ASGI scope key holding the name of the request's user
OPEN_PATHS = frozenset({"/login", "/login/", "/logout", "/logout/"})  # their routes check for themselves


def logout_token(session_id: str) -> str:
    """Return the sign-out form's CSRF token: an HMAC keyed by the session id, which a third site cannot read."""
    return hmac.new(session_id.encode("utf-8"), b"sign-out", hashlib.sha256).hexdigest()


def header_values(scope: dict[str, Any], name: bytes) -> list[str]:
    return [v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == name]


def cookie(scope: dict[str, Any], name: str) -> str:
    """Return the value of cookie `name` in the request, or ""."""
    for line in header_values(scope, b"cookie"):
        for part in line.split(";"):
            key, _, value = part.strip().partition("=")
            if key == name:
                return value
    return ""


def signed_in_name(settings: Settings, scope: dict[str, Any]) -> str | None:
    """Return the name of the request's user (the local user when no accounts exist), or None."""
    db = settings.accounts_path
    if not users.has_users(db):
        return LOCAL_USER.name
    for value in header_values(scope, b"authorization"):
        scheme, _, token = value.partition(" ")
        if scheme.lower() == "bearer":
            return tokens.token_user(db, token.strip())  # a bad token is refused, never a fallback to the cookie
    session_id = cookie(scope, SESSION_COOKIE)
    return sessions.session_user(db, session_id, settings.session_idle_hours * 3600) if session_id else None


def wants_page(scope: dict[str, Any]) -> bool:
    """Return whether the request is a browser asking for a page (sent to /login rather than refused)."""
    accept = ",".join(header_values(scope, b"accept"))
    return scope.get("method") in ("GET", "HEAD") and "text/html" in accept


class SignInGate:
    """ASGI middleware: refuse every request but /login and /logout from someone not signed in."""

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        # The database is read in a worker thread: SQLite calls block, the event loop must not.
        name = await anyio.to_thread.run_sync(signed_in_name, self.settings, scope)
        scope[USER_KEY] = name
        if name is not None or scope.get("path", "") in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        elif wants_page(scope):
            await send({"type": "http.response.start", "status": 303, "headers": [(b"location", b"/login")]})
            await send({"type": "http.response.body", "body": b""})
        else:
            body = json.dumps({"detail": "Not signed in: sign in at /login, or send an API token."}).encode()
            headers = [(b"content-type", b"application/json"), (b"www-authenticate", b'Bearer realm="assistant"')]
            await send({"type": "http.response.start", "status": 401, "headers": headers})
            await send({"type": "http.response.body", "body": body})


def request_user(scope: Mapping[str, Any]) -> str | None:
    """Return what the gate found for this request: Gradio's auth_dependency (None: Gradio answers 401)."""
    value = scope.get(USER_KEY)
    return value if isinstance(value, str) else None
