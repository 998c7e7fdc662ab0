"""The assistant: one loaded index and models, shared by CLI, UI and eval; question -> Answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from assistant.config import Settings
from assistant.errors import QueryError
from assistant.retrieve import Retriever
from assistant.types import Answer, Filters

# (user question, assistant answer text) pairs, oldest first.
History = Sequence[tuple[str, str]]


class Assistant:
    """Loads the index and models once; `ask` is safe to call from several threads."""

    def __init__(self, settings: Settings, retriever: Retriever) -> None:
        self.settings = settings
        self.retriever = retriever
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Assistant:
        return cls(settings, Retriever.from_settings(settings))

    def reload(self) -> None:
        """Pick up a newly published index (after an ingest or upload)."""
        fresh = Retriever.from_settings(self.settings)
        with self._lock:
            self.retriever = fresh

    def ask(
        self,
        question: str,
        *,
        mode: str | None = None,
        filters: Filters | None = None,
        history: History = (),
        answerer: str | None = None,
        k: int | None = None,
    ) -> Answer:
        """Return the answer to `question`, every statement cited, or an abstention."""
        question = " ".join(question.split())
        if not question:
            raise QueryError("The question is empty: type a question about the documents.")
        if len(question) > self.settings.max_question_chars:
            raise QueryError(
                f"The question is {len(question):,} characters long; keep it under "
                f"{self.settings.max_question_chars:,}."
            )
        started = time.perf_counter()
        retriever = self.retriever
        hits = retriever.search(question, k=max(k or self.settings.top_k, 10), mode=mode, filters=filters)
        timings = dict(retriever.last_timings_ms)
        # Placeholder until the answers module lands: abstain, showing the passages as related.
        answer = Answer(
            question=question,
            statements=(),
            abstained=True,
            hits=tuple(hits),
            reason="The answer composer is not available yet.",
        )
        timings["total"] = (time.perf_counter() - started) * 1000
        return Answer(**{**_fields(answer), "timings_ms": timings})


def _fields(answer: Answer) -> dict[str, Any]:
    return {name: getattr(answer, name) for name in answer.__dataclass_fields__}


def answer_to_json(answer: Answer) -> dict[str, Any]:
    """Return the `ask --json` object fixed by the design (docs/DESIGN.md, "Interfaces")."""
    numbered = {c.n: c for s in answer.statements for c in s.citations}
    hits_by_chunk = {h.chunk.id: h for h in answer.hits}
    citations = []
    for n in sorted(numbered):
        c = numbered[n]
        hit = hits_by_chunk.get(c.chunk_id)
        text = hit.chunk.text if hit else ""
        citations.append(
            {
                "n": n,
                "source": c.source,
                "title": c.title,
                "page": c.page,
                "text": text,
                "quote": text[c.start : c.end],
                "score": round(hit.score, 6) if hit else None,
                "chunk_id": c.chunk_id,
                "start": c.start,
                "end": c.end,
            }
        )
    return {
        "question": answer.question,
        "answer": render_text(answer),
        "abstained": answer.abstained,
        "reason": answer.reason,
        "statements": [
            {"text": s.text, "citations": [c.n for c in s.citations], "support": s.support, "score": round(s.support_score, 4)}
            for s in answer.statements
        ],
        "citations": citations,
        "retrieved": [
            {
                "source": h.chunk.source,
                "title": h.chunk.title,
                "page": h.chunk.page,
                "text": h.chunk.text,
                "score": round(h.score, 6),
                "chunk_id": h.chunk.id,
            }
            for h in answer.hits
        ],
        "timings_ms": {k: round(v, 1) for k, v in answer.timings_ms.items()},
    }


def render_text(answer: Answer) -> str:
    """Return the answer as plain text with [n] markers (unverified statements flagged)."""
    if answer.abstained and not answer.statements:
        return answer.reason
    parts = []
    for s in answer.statements:
        marks = "".join(f"[{c.n}]" for c in s.citations)
        flag = " (unverified)" if s.support != "verified" else ""
        parts.append(f"{s.text} {marks}{flag}".strip())
    return " ".join(parts)
