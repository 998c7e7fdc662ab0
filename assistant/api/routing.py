"""The API's route class: a cap on the request body, and every error answered in the OpenAI error shape.

An APIRouter has no exception handlers of its own (those belong to the app it is mounted in), so each route
turns our errors, FastAPI's validation errors and our exceptions into responses itself.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from assistant.api.errors import ApiError, from_assistant_error, from_validation
from assistant.api.limits import MAX_BODY_BYTES
from assistant.errors import AssistantError

# A route's own body limit, in its `openapi_extra` (so the schema documents it too); else MAX_BODY_BYTES.
BODY_LIMIT = "x-max-body-bytes"


class GuardedRoute(APIRoute):
    max_body_bytes = MAX_BODY_BYTES  # a route's own BODY_LIMIT overrides it

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        limit = int((self.openapi_extra or {}).get(BODY_LIMIT, self.max_body_bytes))

        async def guarded(request: Request) -> Response:
            try:
                await read_capped(request, limit)
                return await handler(request)
            except ApiError as exc:
                return exc.response()
            except RequestValidationError as exc:
                return from_validation(exc.errors()).response()
            except AssistantError as exc:
                return from_assistant_error(exc).response()
            except HTTPException as exc:  # FastAPI's own (a multipart body it cannot parse, say)
                return ApiError(exc.status_code, str(exc.detail)).response()

        return guarded


def guarded_route(max_body_bytes: int) -> type[GuardedRoute]:
    """Return the route class whose routes take bodies up to `max_body_bytes` unless they say otherwise."""
    return type("GuardedRoute", (GuardedRoute,), {"max_body_bytes": max_body_bytes})


async def read_capped(request: Request, limit: int) -> None:
    """Read the request body into the request, or raise a 413 once it is over `limit` bytes (sent or declared)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    request._body = b"".join(chunks)  # what FastAPI's body and form parsing read from here on


def too_large(limit: int) -> ApiError:
    return ApiError(413, f"The request body is over {limit / 1024 / 1024:g} MB: send less.", code="request_too_large")
