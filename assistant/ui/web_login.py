"""The /login and /logout routes: check the password, start and end sessions, refuse forged forms and guessing."""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from assistant.accounts import audit, lockout, sessions, users
from assistant.config import Settings
from assistant.ui.login_page import login_html
from assistant.ui.web_gate import SESSION_COOKIE, logout_token

T = TypeVar("T")
LOGIN_CSRF_COOKIE = "assistant_login_csrf"
WRONG = "Wrong name or password."  # the same words whether or not the name exists
LOCKED = (
    f"Too many failed sign-ins for this name or from this computer: wait {int(lockout.WINDOW_S // 60)} minutes "
    "and try again, or ask an administrator."
)
EXPIRED = "The sign-in form had expired: please try again."


def is_https(request: Request, settings: Settings) -> bool:
    if request.url.scheme == "https":
        return True
    return settings.trusted_proxy and request.headers.get("x-forwarded-proto", "").lower() == "https"


def client_address(request: Request, settings: Settings) -> str:
    if settings.trusted_proxy and request.headers.get("x-forwarded-for"):
        return request.headers["x-forwarded-for"].split(",")[0].strip()
    return request.client.host if request.client else "unknown"


def same_origin(request: Request) -> bool:
    """Return whether the Origin (or else Referer) header, when present, names this host."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return True  # a client that sends neither: the CSRF token alone decides
    return urlsplit(source).netloc == request.headers.get("host", "")  # "null" (a sandboxed frame) never matches


def login_page(request: Request, settings: Settings, message: str = "", name: str = "", status: int = 200) -> Response:
    """Return the sign-in form with a fresh CSRF token, also set as a cookie (double submit)."""
    csrf = secrets.token_urlsafe(32)
    response = HTMLResponse(login_html(csrf, message, name), status_code=status)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/login", secure=is_https(request, settings)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def build_router(settings: Settings) -> APIRouter:
    """Return the routes /login (GET, POST) and /logout (POST) for `settings`' accounts database."""
    db = settings.accounts_path
    router = APIRouter()

    async def run(fn: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(fn, *args)  # SQLite and scrypt block: keep them off the event loop

    @router.get("/login", include_in_schema=False)
    async def show_login(request: Request) -> Response:
        if not await run(users.has_users, db):
            return RedirectResponse("/", status_code=303)  # no accounts: nobody signs in
        signed_in = await run(
            sessions.session_user, db, request.cookies.get(SESSION_COOKIE, ""), settings.session_idle_hours * 3600
        )
        if signed_in:
            return RedirectResponse("/", status_code=303)
        return login_page(request, settings)

    @router.post("/login", include_in_schema=False)
    async def sign_in(request: Request) -> Response:
        form = await request.form()
        name = str(form.get("username", "")).strip()[:64]
        password = str(form.get("password", ""))
        sent, expected = str(form.get("csrf", "")), request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not (same_origin(request) and expected and hmac.compare_digest(sent.encode(), expected.encode())):
            return login_page(request, settings, EXPIRED, name, status=403)
        address = client_address(request, settings)
        if await run(lockout.locked, db, name, address):
            await run(audit.record, db, name or "anonymous", "sign-in-locked", f"from {address}")
            return login_page(request, settings, LOCKED, name, status=429)
        user = await run(users.authenticate, db, name, password)
        if user is None:
            await run(lockout.record_failure, db, name, address)
            await run(audit.record, db, name or "anonymous", "sign-in-failed", f"from {address}")
            await asyncio.sleep(settings.login_failure_delay_s)  # slows guessing without holding a worker
            return login_page(request, settings, WRONG, name, status=401)
        old = request.cookies.get(SESSION_COOKIE, "")
        if old:
            await run(sessions.end_session, db, old)  # never carried over, whoever it belonged to
        await run(lockout.clear_failures, db, user.name)
        max_age = settings.session_max_days * 86400
        session_id = await run(sessions.create_session, db, user.name, max_age)  # always a new id: no fixation
        await run(audit.record, db, user, "sign-in", f"from {address}")
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            session_id,
            max_age=int(max_age),
            path="/",
            httponly=True,
            samesite="lax",
            secure=is_https(request, settings),
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
        return response

    @router.post("/logout", include_in_schema=False)
    async def sign_out(request: Request) -> Response:
        form = await request.form()
        session_id = request.cookies.get(SESSION_COOKIE, "")
        sent = str(form.get("csrf", ""))
        if session_id and not (same_origin(request) and hmac.compare_digest(sent, logout_token(session_id))):
            return Response("Sign-out refused: the form did not come from this app. Reload the page.", status_code=403)
        name = await run(sessions.end_session, db, session_id) if session_id else None
        if name:
            await run(audit.record, db, name, "sign-out", "")
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return router
