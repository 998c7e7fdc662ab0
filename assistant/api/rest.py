"""`/api/ask`, `/api/search`, `/api/brief` and `/api/eval`: the CLI's objects over HTTP, as the caller may see them."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Response

from assistant.accounts.roles import User
from assistant.api.auth import require
from assistant.api.context import ApiContext
from assistant.api.errors import ApiError
from assistant.api.schemas import AskRequest, BriefRequest, EvalRequest, SearchRequest, filters_of
from assistant.ingest.files import is_within
from assistant.output.contract import answer_to_json
from assistant.retrieval.hits import hit_json

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def add_rest_routes(router: APIRouter, ctx: ApiContext) -> None:
    assistant = ctx.assistant

    @router.post("/api/ask", tags=["assistant"], summary="The `ask --json` object for one question")
    async def ask(body: AskRequest, user: User = Depends(ctx.caller)) -> dict[str, Any]:
        require(user, "ask")
        answer = await ctx.answering(
            lambda: assistant.ask(
                body.question,
                mode=body.mode,
                filters=filters_of(body.filters),
                history=body.history,
                answerer=body.answerer,
                k=body.k,
                user=user,
            )
        )
        return answer_to_json(answer)

    @router.post("/api/search", tags=["assistant"], summary="The ranked passages for a query")
    async def search(body: SearchRequest, user: User = Depends(ctx.caller)) -> dict[str, Any]:
        require(user, "read")
        found = await ctx.answering(
            lambda: assistant.search(body.query, k=body.k, mode=body.mode, filters=filters_of(body.filters), user=user)
        )
        timings = {k: round(v, 1) for k, v in found.timings_ms.items()}
        return {"query": body.query, "hits": [hit_json(h) for h in found.hits], "timings_ms": timings}

    @router.post(
        "/api/brief",
        tags=["assistant"],
        summary="A briefing note on a topic, as Markdown or DOCX (staff and up)",
        response_class=Response,
        responses={200: {"content": {"text/markdown": {}, DOCX: {}}}},
    )
    async def brief(body: BriefRequest, user: User = Depends(ctx.caller)) -> Response:
        require(user, "brief")
        from assistant.briefing.draft import draft_brief
        from assistant.briefing.export import markdown_to_docx, to_markdown

        note = await ctx.answering(
            lambda: draft_brief(
                assistant,
                body.topic,
                questions=body.questions,
                filters=filters_of(body.filters),
                mode=body.mode,
                user=user,
            )
        )
        markdown = to_markdown(note)
        name = "briefing-" + (re.sub(r"[^A-Za-z0-9]+", "-", note.topic).strip("-").lower()[:60] or "note")
        if body.format == "md":
            return Response(
                markdown,
                media_type="text/markdown; charset=utf-8",
                headers={"Content-Disposition": f'inline; filename="{name}.md"'},
            )
        docx = await ctx.in_thread(lambda: markdown_to_docx(markdown))
        return Response(docx, media_type=DOCX, headers={"Content-Disposition": f'attachment; filename="{name}.docx"'})

    @router.post("/api/eval", tags=["assistant"], summary="Run an eval set; its metrics (evaluators and admins)")
    async def evaluate_set(body: EvalRequest, user: User = Depends(ctx.caller)) -> dict[str, Any]:
        require(user, "eval")
        from assistant.evaluation.evaluate import evaluate

        with tempfile.TemporaryDirectory(prefix="assistant-api-eval-") as scratch:
            dataset = eval_dataset(body, ctx.eval_dir, Path(scratch))
            run = await ctx.answering(
                lambda: evaluate(
                    assistant,
                    dataset,
                    Path(scratch) / "run",
                    mode=body.mode,
                    baselines=body.baselines,
                    limit=body.limit,
                    user=user,
                )
            )
        metrics = run.metrics_json()
        metrics["run"]["dataset"] = body.dataset or "(inline)"  # not the scratch file's path
        return metrics


def eval_dataset(body: EvalRequest, eval_dir: Path, scratch: Path) -> Path:
    """Return the JSONL file to run: the named one under `eval_dir`, or the inline set written into `scratch`."""
    if (body.dataset is None) == (body.jsonl is None):
        raise ApiError(
            400, "Give either dataset (a JSONL file under eval/) or jsonl (the set itself).", param="dataset"
        )
    if body.jsonl is not None:
        path = scratch / "inline.jsonl"
        path.write_text(body.jsonl, encoding="utf-8")
        return path
    folder = eval_dir.resolve()
    path = (folder / str(body.dataset)).resolve()
    if not is_within(path, folder) or path.suffix != ".jsonl" or not path.is_file():
        raise ApiError(
            404,
            f"No eval set {body.dataset!r}: name a .jsonl file under eval/.",
            code="dataset_not_found",
            param="dataset",
        )
    return path
