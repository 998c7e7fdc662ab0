"""Serving: a FastAPI app with the sign-in routes and gate, and the Gradio Blocks mounted at /, run by uvicorn."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import gradio as gr
import uvicorn
from fastapi import FastAPI, Request
from starlette.middleware import Middleware

from assistant.accounts import users
from assistant.accounts.roles import LOCAL_USER, User
from assistant.api.auth import accounts_identify
from assistant.api.router import mount_api
from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.ui.file_guard import CorpusFileGuard
from assistant.ui.sources import page_images_dir
from assistant.ui.style import CSS, THEME
from assistant.ui.web_gate import SignInGate, request_user
from assistant.ui.web_login import build_router

if TYPE_CHECKING:
    from assistant.pipeline import Assistant

# On SIGTERM (`docker stop`, systemd) requests get this long to finish before the server stops. Without a bound
# uvicorn waits for every connection to close, and a browser tab or API client holds Gradio's event stream open
# for as long as it lives: the app never stopped until killed. Index writes are atomic, so even a stop during an
# ingest leaves the last good index (tests/test_crash_safety.py).
STOP_GRACE_S = 5


class DocumentsAsDownloads:
    """ASGI middleware: serve corpus files that a browser would run (HTML, SVG, XML) as plain-text downloads.

    Anyone who can upload can put an HTML file into the corpus; served inline it would run as a page
    of the app (stored XSS). Other files are untouched.
    """

    _ACTIVE = (".html", ".htm", ".xhtml", ".shtml", ".svg", ".xml")

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = unquote(scope.get("path", "")) if scope.get("type") == "http" else ""
        if not (("/file=" in path or "/file/" in path) and path.lower().endswith(self._ACTIVE)):
            await self.app(scope, receive, send)
            return

        async def send_safely(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"content-type", b"content-disposition", b"content-security-policy")
                ]
                headers += [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-disposition", b"attachment"),
                    (b"content-security-policy", b"sandbox"),
                    (b"x-content-type-options", b"nosniff"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_safely)


def check_no_shared_login(settings: Settings) -> None:
    """Refuse the retired `auth` setting (one shared password): accounts replace it."""
    if settings.auth:
        raise ConfigError(
            "The auth setting (one shared login) is no longer supported: remove it from assistant.toml or "
            "ASSISTANT_AUTH, and create accounts instead: assistant users add NAME --role admin --password-stdin"
        )


def gradio_user(request: Request) -> str | None:
    """Gradio's auth_dependency: the name the sign-in gate found for this request (None: 401)."""
    return request_user(request.scope)


def readable_for(settings: Settings, assistant: Assistant) -> Callable[[dict[str, Any]], frozenset[str]]:
    """Return the file guard's lookup: the indexed sources the request's user may read."""
    nobody = User("", "trainee")  # the gate lets no unknown user through; were one to pass, it reads no restricted file

    def readable(scope: dict[str, Any]) -> frozenset[str]:
        db = settings.accounts_path
        user = LOCAL_USER if not users.has_users(db) else users.get_user(db, request_user(scope)) or nobody
        return frozenset(str(doc["source"]) for doc in assistant.documents(user))

    return readable


def build_app(demo: gr.Blocks, settings: Settings, assistant: Assistant) -> FastAPI:
    """Return the web app: /login and /logout, the sign-in gate in front of everything, `demo` at /.

    Corpus files are served only to users who may read them (`file_guard`), as `assistant` sees access."""
    check_no_shared_login(settings)
    demo.queue(default_concurrency_limit=settings.concurrency_limit)
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.include_router(build_router(settings))
    mount_api(app, settings, assistant, accounts_identify(settings.accounts_path))  # before Gradio takes "/"
    app.add_middleware(SignInGate, settings=settings)
    return gr.mount_gradio_app(
        app,
        demo,
        path="/",
        auth_dependency=gradio_user,
        server_name=settings.host,
        server_port=settings.port,
        theme=THEME,
        css=CSS,
        # Source files are served from the corpus folder only, and the pages rendered from them from their
        # cache; nothing else on disk is reachable.
        allowed_paths=[str(settings.corpus_dir.resolve()), str(page_images_dir(settings))],
        max_file_size=f"{settings.max_upload_mb}mb",
        ssr_mode=False,
        footer_links=["gradio", "settings"],
        show_error=False,
        app_kwargs={
            "middleware": [
                Middleware(DocumentsAsDownloads),
                Middleware(
                    CorpusFileGuard, corpus_dir=settings.corpus_dir, readable_for=readable_for(settings, assistant)
                ),
            ]
        },
    )


class _StoppedStreams(logging.Filter):
    """Drop uvicorn's "Exception in ASGI application" for a request it cancelled itself: at a stop, each open
    event stream ends so, and a traceback per browser tab read like a crash."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError))


def serve(demo: gr.Blocks, settings: Settings, assistant: Assistant) -> None:
    """Serve `demo` on settings.host:port until interrupted."""
    app = build_app(demo, settings, assistant)
    logging.getLogger("uvicorn.error").addFilter(_StoppedStreams())
    signing_in = "sign-in required" if users.has_users(settings.accounts_path) else "no accounts: no sign-in"
    print(f"Serving on http://{settings.host}:{settings.port} ({signing_in}; accounts in {settings.accounts_path})")
    uvicorn.run(
        app, host=settings.host, port=settings.port, log_level="warning", timeout_graceful_shutdown=STOP_GRACE_S
    )
