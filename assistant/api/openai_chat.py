"""`POST /v1/chat/completions` and `GET /v1/models`, as the official OpenAI clients and LangChain speak them.

The assistant message's `content` is the answer with [n] markers and a short list of its sources, readable in
any client; the citations travel in a top-level `citations` array (n, source, title, page, quote, url) and the
abstention in `abstained`, which clients that know them can use and others ignore. A stream is the answer
computed whole, then sent in `chat.completion.chunk` events, one per statement, ending with `data: [DONE]`.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, StreamingResponse

from assistant.accounts.roles import User
from assistant.api.auth import require
from assistant.api.context import ApiContext
from assistant.api.errors import ApiError
from assistant.api.schemas import MAX_HISTORY, MODEL, ChatRequest, filters_of
from assistant.output.contract import citations_json
from assistant.output.text import page_label, render_text
from assistant.types import Answer

_AFTER_MARKS = re.compile(r"(?<=\] )")  # a statement ends with its [n] marks and a space
SOURCES = "\n\nSources:\n"
CREATED = int(time.time())  # the model's "created" date in /v1/models: when this server started


def add_chat_routes(router: APIRouter, ctx: ApiContext) -> None:
    @router.get("/v1/models", tags=["openai"], summary="The one model: policy-assistant")
    async def models(user: User = Depends(ctx.caller)) -> dict[str, Any]:
        return {"object": "list", "data": [model_card()]}

    @router.get("/v1/models/{model}", tags=["openai"], summary="The model's card")
    async def model(model: str, user: User = Depends(ctx.caller)) -> dict[str, Any]:
        check_model(model)
        return model_card()

    @router.post("/v1/chat/completions", tags=["openai"], summary="Answer the last user message, with citations")
    async def chat(body: ChatRequest, user: User = Depends(ctx.caller)) -> Any:
        require(user, "ask")
        check_model(body.model)
        question, history = conversation(body)
        answer = await ctx.answering(
            lambda: ctx.assistant.ask(
                question, mode=body.mode, filters=filters_of(body.filters), history=history, k=body.k, user=user
            )
        )
        reply_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        usage = usage_of(body, answer)
        if not body.stream:
            return JSONResponse(completion(answer, reply_id, created, usage))
        with_usage = bool(body.stream_options and body.stream_options.include_usage)
        events = stream_events(answer, reply_id, created, usage if with_usage else None)
        return StreamingResponse(
            events,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )


def model_card() -> dict[str, Any]:
    return {"id": MODEL, "object": "model", "created": CREATED, "owned_by": "policy-assistant"}


def check_model(name: str) -> None:
    if name != MODEL:
        raise ApiError(404, f"The model {name!r} does not exist: use {MODEL!r}.", code="model_not_found", param="model")


def conversation(body: ChatRequest) -> tuple[str, list[str]]:
    """Return the question (the last message, which must be the user's) and the earlier user turns, oldest first."""
    last = body.messages[-1]
    if last.role != "user":
        raise ApiError(400, "The last message must be the user's question.", code="invalid_value", param="messages")
    earlier = [m.text() for m in body.messages[:-1] if m.role == "user" and m.text().strip()]
    return last.text(), earlier[-MAX_HISTORY:]


def content_of(answer: Answer) -> str:
    """Return the answer with [n] markers followed by its sources, one line each: readable where citations are not."""
    sources = [
        f"[{c['n']}] {', '.join(p for p in (c['title'] or c['source'], c['source'], page_label(c['page'])) if p)}"
        for c in citations_json(answer)
    ]
    text = render_text(answer)
    return text + (SOURCES + "\n".join(sources) if sources else "")


def citations_of(answer: Answer) -> list[dict[str, Any]]:
    """Return the citations as the chat reply carries them: n, source, title, page, quote, url."""
    urls = {h.chunk.id: h.chunk.url for h in answer.hits}
    return [
        {
            "n": c["n"],
            "source": c["source"],
            "title": c["title"],
            "page": c["page"],
            "quote": c["quote"],
            "url": urls.get(c["chunk_id"], ""),
        }
        for c in citations_json(answer)
    ]


def usage_of(body: ChatRequest, answer: Answer) -> dict[str, int]:
    """Return token counts, as words: nothing is sampled, but clients and dashboards expect the field."""
    prompt = sum(len(m.text().split()) for m in body.messages)
    completion_words = len(content_of(answer).split())
    return {"prompt_tokens": prompt, "completion_tokens": completion_words, "total_tokens": prompt + completion_words}


def completion(answer: Answer, reply_id: str, created: int, usage: dict[str, int]) -> dict[str, Any]:
    return {
        "id": reply_id,
        "object": "chat.completion",
        "created": created,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content_of(answer), "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": usage,
        "citations": citations_of(answer),
        "abstained": answer.abstained,
    }


def pieces(content: str) -> list[str]:
    """Return the content in the pieces a stream sends: up to each citation mark's end; joined, the content."""
    text, sources, rest = content.partition(SOURCES)
    return [p for p in [*_AFTER_MARKS.split(text), sources + rest] if p]


def stream_events(answer: Answer, reply_id: str, created: int, usage: dict[str, int] | None) -> Iterator[str]:
    """Yield the server-sent events of a streamed reply: role, content pieces, the end with citations, [DONE]."""

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        event = {
            "id": reply_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(event, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for piece in pieces(content_of(answer)):
        yield chunk({"content": piece})
    yield chunk({}, "stop", citations=citations_of(answer), abstained=answer.abstained)
    if usage is not None:
        end = {"id": reply_id, "object": "chat.completion.chunk", "created": created, "model": MODEL}
        yield f"data: {json.dumps({**end, 'choices': [], 'usage': usage})}\n\n"
    yield "data: [DONE]\n\n"
