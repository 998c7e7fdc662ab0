"""The assistant: one loaded index and models, shared by CLI, UI and eval; question -> Answer."""

from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from assistant.config import Settings
from assistant.errors import ConfigError, QueryError
from assistant.index.generations import current_generation
from assistant.retrieval.retrieve import Retriever
from assistant.types import Answer, Chunk, Citation, Filters, Hit

if TYPE_CHECKING:
    from assistant.answering.extractive import ExtractiveAnswerer
    from assistant.answering.generative import GenerativeAnswerer

# (user question, assistant answer) pairs, oldest first.
History = Sequence[tuple[str, str]]
ANSWERERS = ("extractive", "generative")


class Answerer(Protocol):
    """The generator seam: both answerers turn a question and its passages into statements."""

    def answer(self, question: str, hits: Sequence[Hit]) -> Answer: ...


class Assistant:
    """Loads the index and models once; `ask` is safe to call from several threads.

    With `follow_index`, each question first checks which index generation is published and reloads
    when it changed, so an upload through another app replica, or a CLI ingest, is answerable here
    without a restart.
    """

    def __init__(self, settings: Settings, retriever: Retriever, follow_index: bool = False) -> None:
        self.settings = settings
        self.retriever = retriever
        self.follow_index = follow_index
        self._lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._extractive: ExtractiveAnswerer | None = None
        self._extractive_index: object = None  # the index whose term statistics it holds
        self._following: dict[str, Chunk] = {}  # chunk id -> the next chunk of its document
        self._generative: GenerativeAnswerer | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Assistant:
        return cls(settings, Retriever.from_settings(settings), follow_index=True)

    def reload(self) -> None:
        """Pick up a newly published index (after an ingest or upload)."""
        fresh = Retriever.from_settings(self.settings)
        with self._lock:
            self.retriever = fresh

    def current_retriever(self) -> Retriever:
        """Return the retriever, reloaded first if another process (or an upload) published a newer index."""
        with self._lock:
            retriever = self.retriever
        if not self.follow_index or _published(self.settings) in (None, retriever.index.generation):
            return retriever
        with self._reload_lock:  # one thread reloads; the others wait for it rather than load it again
            with self._lock:
                retriever = self.retriever
            if _published(self.settings) not in (None, retriever.index.generation):
                self.reload()
        with self._lock:
            return self.retriever

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
        """Return the answer to `question`, every statement cited and checked, or an abstention."""
        from assistant.answering.followup import standalone
        from assistant.answering.verify import verify

        question = check_question(question, self.settings.max_question_chars)
        which = answerer or self.settings.answerer
        if which not in ANSWERERS:
            raise ConfigError(f"Unknown answerer {which!r}: use {' or '.join(ANSWERERS)}.")
        started = time.perf_counter()
        retriever = self.current_retriever()
        extractive = self._extractive_for(retriever)
        rewritten = standalone(question, history, extractive.similarity) if history else question
        hits = retriever.search(rewritten, k=max(k or self.settings.top_k, 10), mode=mode, filters=filters)
        timings = {"retrieve": 0.0, "rerank": 0.0, **retriever.last_timings_ms}
        hits = _with_continuations(hits, self._following)
        answer_started = time.perf_counter()
        chosen: Answerer = self._generative_answerer() if which == "generative" else extractive
        answer = chosen.answer(rewritten, hits)
        statements = verify(answer.statements, answer.hits, extractive.cache)
        abstained = answer.abstained or not any(s.support == "verified" for s in statements)
        reason = answer.reason
        if abstained and not answer.abstained:
            reason = (
                f"The documents in the corpus do not say: “{rewritten}” "
                "(no statement of the answer could be verified against the passages it cites)."
            )
        timings["answer"] = (time.perf_counter() - answer_started) * 1000
        timings["total"] = (time.perf_counter() - started) * 1000
        return replace(
            answer,
            question=question,
            statements=statements,
            abstained=abstained,
            reason=reason,
            timings_ms=timings,
            standalone_question=rewritten if history else "",
        )

    def _extractive_for(self, retriever: Retriever) -> ExtractiveAnswerer:
        from assistant.answering.evidence import TermStats
        from assistant.answering.extractive import ExtractiveAnswerer

        with self._lock:
            if self._extractive is None or self._extractive_index is not retriever.index:
                chunks = retriever.index.store.chunks
                stats = TermStats(c.text for c in chunks)
                self._extractive = ExtractiveAnswerer(retriever.embedder, stats, _sentence_vectors(retriever))
                self._following = _following_chunks(chunks)
                self._extractive_index = retriever.index
            return self._extractive

    def _generative_answerer(self) -> GenerativeAnswerer:
        from assistant.answering.generative import GenerativeAnswerer

        with self._lock:
            if self._generative is None:
                self._generative = GenerativeAnswerer.from_settings(self.settings)
            return self._generative


def _published(settings: Settings) -> str | None:
    """Return the name of the published index generation: reading one small file, cheap enough per question."""
    return current_generation(settings.index_dir)


def _sentence_vectors(retriever: Retriever) -> dict[str, list[tuple[str, np.ndarray]]]:
    """Return the reranker's sentence vectors of the index by chunk id ({} without a reranker).

    The reranker embeds every sentence of the index once (cached on disk beside it); the answerer's
    sentences are mostly the same strings, so it embeds almost nothing at question time.
    """
    reranker = getattr(retriever, "reranker", None)
    if reranker is None or retriever.settings.retrieval_mode != "hybrid+rerank":
        return {}
    from assistant.retrieval.rerank import sentences

    vectors = reranker.sentence_vectors()
    out = {}
    for row, chunk in enumerate(retriever.index.store.chunks):
        start, end = int(vectors.bounds[row]), int(vectors.bounds[row + 1])
        out[chunk.id] = list(zip(sentences(chunk), vectors.vectors[start:end], strict=False))
    return out


def _following_chunks(chunks: Sequence[Chunk]) -> dict[str, Chunk]:
    """Return, for each chunk id, the chunk that follows it in its document."""
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    following = {}
    for doc_chunks in by_doc.values():
        doc_chunks.sort(key=lambda c: c.start)
        following.update({a.id: b for a, b in zip(doc_chunks, doc_chunks[1:], strict=False)})
    return following


def _with_continuations(hits: Sequence[Hit], following: dict[str, Chunk]) -> list[Hit]:
    """Return `hits` plus, after them, the passage that follows any hit ending in a colon.

    Chunking can cut "... achieved through:" from its bulleted list; the list is the answer, so the
    next passage is appended to the ranked list (score 0) where the answerer may quote it.
    """
    out = list(hits)
    present = {h.chunk.id for h in hits}
    for hit in hits:
        nxt = following.get(hit.chunk.id)
        if nxt is not None and hit.chunk.text.rstrip().endswith(":") and nxt.id not in present:
            out.append(Hit(chunk=nxt, score=0.0, rank=len(out) + 1, scores={"continuation": 1.0}))
            present.add(nxt.id)
    return out


_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def check_question(question: str, max_chars: int) -> str:
    """Return `question` with whitespace collapsed; raise QueryError when it cannot be asked."""
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in question):
        raise QueryError("The question contains control characters: type or paste plain text.")
    # Bidirectional overrides would let a pasted question reorder the text echoed back in the chat.
    question = " ".join(question.translate(_BIDI_CONTROLS).split())
    if not question:
        raise QueryError("The question is empty: type a question about the documents.")
    if len(question) > max_chars:
        raise QueryError(f"The question is {len(question):,} characters long; keep it under {max_chars:,}.")
    return question


def answer_to_json(answer: Answer) -> dict[str, Any]:
    """Return the `ask --json` object fixed by the design (docs/DESIGN.md, "Interfaces").

    Extra keys: `reason`, `standalone_question`, per statement its support `score`, per citation its
    `chunk_id` and `spans` (every quoted [start, end] in the chunk; `quote` joins them with " … ").
    """
    spans: dict[int, list[tuple[int, int]]] = {}
    first: dict[int, Citation] = {}
    for statement in answer.statements:
        for c in statement.citations:
            first.setdefault(c.n, c)
            if (c.start, c.end) not in spans.setdefault(c.n, []):
                spans[c.n].append((c.start, c.end))
    hits_by_chunk = {h.chunk.id: h for h in answer.hits}
    citations = []
    for n in sorted(first):
        c = first[n]
        hit = hits_by_chunk.get(c.chunk_id)
        text = hit.chunk.text if hit else ""
        ordered = sorted(spans[n])
        citations.append(
            {
                "n": n,
                "source": c.source,
                "title": c.title,
                "page": c.page,
                "text": text,
                "quote": " … ".join(text[a:b] for a, b in ordered),
                "score": round(hit.score, 6) if hit else None,
                "chunk_id": c.chunk_id,
                "start": ordered[0][0],
                "end": ordered[0][1],
                "spans": [list(span) for span in ordered],
            }
        )
    return {
        "question": answer.question,
        "answer": render_text(answer),
        "abstained": answer.abstained,
        "reason": answer.reason,
        "statements": [
            {
                "text": s.text,
                "citations": list(dict.fromkeys(c.n for c in s.citations)),
                "support": s.support,
                "score": round(s.support_score, 4),
            }
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
        "standalone_question": answer.standalone_question,
    }


def render_text(answer: Answer) -> str:
    """Return the answer as plain text with [n] markers; unverified statements are flagged, never bare.

    An abstention reads as its reason (followed by any unverified model output, flagged); a partial
    answer ends with what the documents do not say.
    """
    parts = []
    for s in answer.statements:
        marks = "".join(f"[{c.n}]" for c in dict.fromkeys(s.citations))
        flag = " (unverified)" if s.support != "verified" else ""
        parts.append(f"{s.text} {marks}{flag}".strip())
    if answer.abstained:
        return answer.reason + (" Unverified output: " + " ".join(parts) if parts else "")
    text = " ".join(parts)
    return f"{text} {answer.reason}".strip() if answer.reason else text
