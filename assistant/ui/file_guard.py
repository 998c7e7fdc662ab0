"""ASGI middleware: of the corpus folder, only indexed documents the user may read are served.

The source panel links each cited file (`/gradio_api/file=<path>`); every signed-in user could otherwise fetch
a restricted document by guessing its path, or the catalogs, which name the restricted documents and their
groups. The guard answers any other corpus file 404, the same as for a file that does not exist, so that a
path's answer does not tell whether a restricted document is there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import anyio

# The indexed sources a request's user may read; the web layer finds the user from the request's session.
ReadableFor = Callable[[dict[str, Any]], frozenset[str]]
_MARKERS = ("/file=", "/file/")


def requested_source(path: str, corpus_dir: Path) -> str | None:
    """Return the corpus source a Gradio file URL path names (relative to the corpus), or None for other files."""
    for marker in _MARKERS:
        if marker in path:
            named = path.split(marker, 1)[1]
            break
    else:
        return None
    corpus = corpus_dir.resolve()
    try:
        target = Path(named).resolve()  # as Gradio resolves it: relative paths from the working folder
    except (OSError, RuntimeError, ValueError):
        return None
    return target.relative_to(corpus).as_posix() if corpus in target.parents else None


class CorpusFileGuard:
    def __init__(self, app: Any, corpus_dir: Path, readable_for: ReadableFor) -> None:
        self.app = app
        self.corpus_dir = corpus_dir
        self.readable_for = readable_for

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Callable[..., Awaitable[None]]) -> None:
        if scope.get("type") == "http":
            source = requested_source(unquote(scope.get("path", "")), self.corpus_dir)
            # The user's access is read from the accounts database: in a worker thread, off the event loop.
            if source is not None and source not in await anyio.to_thread.run_sync(self.readable_for, scope):
                await send(
                    {"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]}
                )
                await send({"type": "http.response.body", "body": b"Not found"})
                return
        await self.app(scope, receive, send)
