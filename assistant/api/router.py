"""The HTTP API as one FastAPI router, built around the shared Assistant and the login layer's `identify`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi

from assistant.api.auth import Identify, caller_dependency
from assistant.api.context import ApiContext
from assistant.api.documents import add_document_routes
from assistant.api.limits import Limits, TokenBuckets
from assistant.api.openai_chat import add_chat_routes
from assistant.api.rest import add_rest_routes
from assistant.api.routing import guarded_route
from assistant.config import Settings

if TYPE_CHECKING:
    from assistant.pipeline import Assistant

TITLE = "Policy-question assistant API"


def build_api(
    settings: Settings,
    assistant: Assistant,
    identify: Identify,
    limits: Limits | None = None,
    eval_dir: Path = Path("eval"),
) -> APIRouter:
    """Return the API's router: `/v1` for OpenAI clients and `/api` for ours, every call as `identify`'s user.

    `identify(request)` returns the caller's User from `Authorization: Bearer TOKEN`, or None (answered 401).
    """
    limits = limits or Limits()
    buckets = TokenBuckets(limits.rate_per_minute, limits.burst)
    ctx = ApiContext(settings, assistant, caller_dependency(identify, buckets), limits, eval_dir)
    router = APIRouter(route_class=guarded_route(limits.max_body_bytes))
    add_chat_routes(router, ctx)
    add_rest_routes(router, ctx)
    add_document_routes(router, ctx)
    return router


def mount_api(
    app: FastAPI,
    settings: Settings,
    assistant: Assistant,
    identify: Identify,
    limits: Limits | None = None,
) -> APIRouter:
    """Add the API to `app` (the login layer's app, which serves Gradio too) and return its router.

    Gradio's app turns FastAPI's `/openapi.json` off; then the API's own schema is served there.
    """
    router = build_api(settings, assistant, identify, limits)
    app.include_router(router)
    if app.openapi_url is None:
        schema: dict[str, Any] = {}

        @app.get("/openapi.json", include_in_schema=False)
        async def openapi() -> dict[str, Any]:
            if not schema:
                schema.update(get_openapi(title=TITLE, version="1", routes=router.routes))
            return schema

    return router
