"""API errors in the OpenAI shape, `{"error": {"message", "type", "code", "param"}}`, which every client parses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.responses import JSONResponse

from assistant.accounts.readers import UploadRefused
from assistant.errors import AssistantError, ConfigError, IndexDamagedError, IndexMissingError, QueryError
from assistant.evaluation.evalset import DatasetError
from assistant.ingest.uploads import UploadError

INVALID = "invalid_request_error"
_TYPE_NAMES = frozenset({"str", "int", "float", "bool", "list", "dict", "none"})


class ApiError(Exception):
    """An HTTP error answered with the OpenAI error body; `message` says what was wrong and what to do."""

    def __init__(
        self,
        status: int,
        message: str,
        type_: str = INVALID,
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.code = code
        self.param = param
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        body = {"error": {"message": self.message, "type": self.type, "code": self.code, "param": self.param}}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def unauthorized() -> ApiError:
    return ApiError(
        401,
        "No valid API token: send Authorization: Bearer TOKEN (make one with `assistant users token NAME`).",
        "authentication_error",
        "invalid_api_key",
        headers={"WWW-Authenticate": "Bearer"},
    )


def forbidden(action: str, role: str) -> ApiError:
    return ApiError(
        403, f"A {role} may not {action} here: ask an admin for a role with that right.", "permission_error", action
    )


def from_assistant_error(exc: AssistantError) -> ApiError:
    """Return the HTTP error for one of our exceptions: the caller's mistake is a 4xx, the server's a 5xx."""
    if isinstance(exc, UploadRefused):
        return ApiError(403, str(exc), "permission_error", "upload_refused")
    if isinstance(exc, IndexMissingError | IndexDamagedError):
        return ApiError(503, str(exc), "server_error", "index_unavailable")
    if isinstance(exc, QueryError | ConfigError | DatasetError | UploadError):
        return ApiError(400, str(exc), INVALID, "invalid_value")
    return ApiError(500, str(exc), "server_error", None)


def from_validation(errors: Sequence[Any]) -> ApiError:
    """Return a 400 naming the first field of a request that has the wrong type or is missing."""
    first = dict(errors[0]) if errors else {}
    # Leave out where the error was found (body) and, in a field of several types, which type was tried.
    loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    loc = [part for part in loc if not (part in _TYPE_NAMES or "[" in part or part[:1].isupper())]
    param = ".".join(loc) or None
    what = str(first.get("msg", "invalid request"))
    message = f"{param}: {what}" if param else what
    if first.get("type") == "json_invalid":
        message = "The request body is not valid JSON."
    return ApiError(400, message + " (see /openapi.json for the request's fields).", INVALID, "invalid_type", param)
