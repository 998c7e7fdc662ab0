"""`/api/documents`: list what the caller may read, upload files (staff and up), remove one (admins)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import JSONResponse

from assistant.accounts.readers import check_readers
from assistant.accounts.roles import User
from assistant.api.auth import require
from assistant.api.context import ApiContext
from assistant.api.errors import ApiError
from assistant.api.routing import BODY_LIMIT
from assistant.ingest.remove import remove_source
from assistant.ingest.uploads import add_uploads

MAX_FILES = 20  # per upload request


def add_document_routes(router: APIRouter, ctx: ApiContext) -> None:
    assistant, settings = ctx.assistant, ctx.settings
    upload_limit = MAX_FILES * settings.max_upload_mb * 1024 * 1024

    @router.get("/api/documents", tags=["documents"], summary="The indexed documents the caller may read")
    async def documents(user: User = Depends(ctx.caller)) -> dict[str, Any]:
        require(user, "read")
        return {"documents": await ctx.in_thread(lambda: assistant.documents(user))}

    @router.post(
        "/api/documents",
        tags=["documents"],
        summary="Upload files (multipart `files`), optionally readable by `groups` only (staff and up)",
        status_code=201,
        openapi_extra={BODY_LIMIT: upload_limit},
    )
    async def upload(
        files: list[UploadFile] = File(..., description="the files to add"),
        groups: list[str] = Form([], description="groups that may read them (repeat, or comma-separated)"),
        user: User = Depends(ctx.caller),
    ) -> Any:
        require(user, "upload")
        if len(files) > MAX_FILES:
            raise ApiError(400, f"{len(files)} files in one upload: send at most {MAX_FILES}.", param="files")
        readers = check_readers(user, [g.strip() for given in groups for g in given.split(",") if g.strip()])
        with tempfile.TemporaryDirectory(prefix="assistant-api-upload-") as scratch:
            saved = await ctx.in_thread(lambda: _save_all(files, Path(scratch)))
            result = await ctx.in_thread(lambda: add_uploads(saved, settings, groups=readers))
        if result.stored:
            await ctx.in_thread(assistant.reload)  # answerable from the next question on
        body = {
            "stored": result.stored,
            "rejected": [{"file": name, "reason": reason} for name, reason in result.rejected],
            "partial": [{"file": name, "reason": reason} for name, reason in result.partial],
        }
        if not result.stored:
            reasons = "; ".join(f"{name}: {reason}" for name, reason in result.rejected)
            raise ApiError(400, f"No file was added. {reasons}", code="upload_rejected", param="files")
        return JSONResponse(body, status_code=201)

    @router.delete("/api/documents/{doc_id}", tags=["documents"], summary="Remove a document's file (admins)")
    async def remove(doc_id: str, user: User = Depends(ctx.caller)) -> dict[str, Any]:
        require(user, "delete")
        readable = await ctx.in_thread(lambda: assistant.documents(user))
        source = next((str(d["source"]) for d in readable if d.get("id") == doc_id), None)
        if source is None:  # unknown and unreadable alike: the answer must not tell a hidden document is there
            raise ApiError(404, f"No document {doc_id!r}: see GET /api/documents.", code="document_not_found")
        gone = [str(d["id"]) for d in readable if d["source"] == source]
        report = await ctx.in_thread(lambda: remove_source(settings, source, assistant.embeddings.embedder))
        await ctx.in_thread(assistant.reload)
        return {"removed": source, "documents": gone, "chunks": report.chunks}


def _save_all(files: list[UploadFile], folder: Path) -> list[tuple[Path, str]]:
    """Return (where its bytes now are, its name as uploaded) for each upload, copied under `folder`."""
    saved = []
    for i, upload in enumerate(files):
        path = folder / str(i)  # a name of ours: the uploaded name is checked and made safe by add_uploads
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out)
        saved.append((path, upload.filename or "upload"))
    return saved
