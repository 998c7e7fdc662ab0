"""A real uvicorn server for the HTTP API on a free localhost port, in a background thread, for tests and bench.

The app is a bare FastAPI app with the API mounted, as the login layer's app will mount it; callers are known
by a fixed {token: User} table.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from assistant.accounts.roles import User
from assistant.api import Limits, mount_api, token_identify
from assistant.config import Settings, load_settings
from assistant.ingest.update import ingest
from assistant.pipeline import Assistant
from tests.test_access import ADMIN, EVALUATOR, GROUPS, INSIDER, OUTSIDER, TEXTS, TRAINEE, write_catalog

TOKENS: Mapping[str, User] = {
    "tok-trainee": TRAINEE,
    "tok-insider": INSIDER,  # staff, investigators
    "tok-outsider": OUTSIDER,  # staff, finance
    "tok-evaluator": EVALUATOR,  # investigators
    "tok-admin": ADMIN,
}
TOKEN_OF = {user.name: token for token, user in TOKENS.items()}
RELAXED = Limits(rate_per_minute=10_000, burst=10_000)  # tests other than the rate limit's never meet it


def make_library(root: Path) -> Settings:
    """Return settings whose index holds the access tests' three documents (two restricted to a group each)."""
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    for name, text in TEXTS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    write_catalog(corpus, GROUPS)
    settings = load_settings(Path("/nonexistent.toml"), environ={}, corpus_dir=corpus, index_dir=root / "index")
    assert not ingest(settings).skipped
    return settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_app(
    settings: Settings,
    assistant: Assistant,
    tokens: Mapping[str, User] = TOKENS,
    limits: Limits | None = RELAXED,
    eval_dir: Path | None = None,
) -> FastAPI:
    """Return a FastAPI app serving the API for `tokens`' users (the login layer's app, without the login)."""
    app = FastAPI(title="test")
    router = mount_api(app, settings, assistant, token_identify(tokens), limits)
    if eval_dir is not None:  # the router's named eval sets come from `eval_dir` instead of eval/
        from assistant.api import build_api

        app = FastAPI(title="test")
        router = build_api(settings, assistant, token_identify(tokens), limits, eval_dir=eval_dir)
        app.include_router(router)
    return app


@contextmanager
def running(app: FastAPI) -> Iterator[str]:
    """Serve `app` with uvicorn on a free port in a background thread; yield its base URL; stop it on exit."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning", lifespan="off", workers=1)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
