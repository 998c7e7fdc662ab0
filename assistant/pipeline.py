"""The assistant: one loaded index and models, shared by CLI, UI and eval; question -> Answer."""

from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from assistant.accounts.roles import LOCAL_USER, User
from assistant.answering.abstention import not_in_documents
from assistant.answering.followup import History, standalone
from assistant.answering.verify import verify
from assistant.config import ANSWERERS, Settings
from assistant.embedding.service import EmbeddingService
from assistant.errors import ConfigError, QueryError
from assistant.index.generations import current_generation
from assistant.retrieval.access import AccessMap
from assistant.retrieval.retrieve import Retrieval, Retriever
from assistant.types import Answer, Chunk, Filters, Hit

if TYPE_CHECKING:
    from assistant.answering.extractive import ExtractiveAnswerer
    from assistant.answering.generative import GenerativeAnswerer
    from assistant.embedding.scorer import AnswerScorer


# Distinct sets of hidden documents whose term statistics are kept; one per combination of groups in use. Each
# costs about as much memory as the index's vocabulary; building one took 0.5 s over the library's 5,428 passages.
MAX_ACCESS_VIEWS = 16


class Answerer(Protocol):
    """The generator seam: both answerers turn a question and its passages into statements."""

    def answer(self, question: str, hits: Sequence[Hit]) -> Answer: ...


class Assistant:
    """Loads the index and models once; `ask` is safe to call from several threads.

    It owns the embedding service that the answerer, the verifier and follow-up rewriting share. With
    `follow_index`, each question first checks which index generation is published and reloads when it
    changed, so an upload through another app replica, or a CLI ingest, is answerable here without a restart.
    """

    def __init__(
        self,
        settings: Settings,
        retriever: Retriever,
        follow_index: bool = False,
        embeddings: EmbeddingService | None = None,
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.follow_index = follow_index
        self.embeddings = embeddings or EmbeddingService(retriever.embedder)
        self._lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._index: object = None  # the index the two fields below describe
        self._following: dict[str, Chunk] = {}  # chunk id -> the next chunk of its document
        # Built on first use, one per set of hidden sources: each holds the term statistics of what its users may
        # read, so that nothing a user may not read weighs on their answers.
        self._extractive: dict[frozenset[str], ExtractiveAnswerer] = {}
        self.access = AccessMap(settings.corpus_dir)
        self._generative: GenerativeAnswerer | None = None
        # Answers computed at once, by the UI and the HTTP API together, are at most the configured limit: each
        # caller holds one slot while it answers (assistant/api/limits.py waits briefly for one, then says 429).
        self.gate = threading.BoundedSemaphore(settings.concurrency_limit)

    @classmethod
    def from_settings(cls, settings: Settings) -> Assistant:
        retriever = Retriever.from_settings(settings)  # the configured embedder, loaded after the index is found
        return cls(settings, retriever, follow_index=True, embeddings=EmbeddingService(retriever.embedder))

    def reload(self) -> None:
        """Pick up a newly published index (after an ingest or upload)."""
        fresh = Retriever.from_settings(self.settings, self.embeddings.embedder)
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
        user: User = LOCAL_USER,
    ) -> Answer:
        """Return the answer to `question`, every statement cited and checked, or an abstention.

        `history` holds the conversation's earlier questions, oldest first, for rewriting a follow-up. Only
        documents `user` may read are searched (the local user of an app without accounts reads them all).
        """
        question = check_question(question, self.settings.max_question_chars)
        which = answerer or self.settings.answerer
        if which not in ANSWERERS:
            raise ConfigError(f"Unknown answerer {which!r}: use {' or '.join(ANSWERERS)}.")
        started = time.perf_counter()
        retriever = self.current_retriever()
        hidden, filters = self._readable(retriever, user, filters)
        rewritten = standalone(question, history, self.embeddings.similarity) if history else question
        found = retriever.search(rewritten, k=max(k or self.settings.top_k, 10), mode=mode, filters=filters)
        timings = {"retrieve": 0.0, "rerank": 0.0, **found.timings_ms}
        hits = _with_continuations(found.hits, self._following_for(retriever))
        answer_started = time.perf_counter()
        chosen: Answerer = (
            self._generative_answerer() if which == "generative" else self._extractive_for(retriever, hidden)
        )
        answer = chosen.answer(rewritten, hits)
        statements = verify(answer.statements, answer.hits, self.embeddings, self.scorer())
        abstained = answer.abstained or not any(s.support == "verified" for s in statements)
        reason = answer.reason
        if abstained and not answer.abstained:
            reason = not_in_documents(
                rewritten, "No statement of the answer could be verified against the passages it cites."
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

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        mode: str | None = None,
        filters: Filters | None = None,
        user: User = LOCAL_USER,
    ) -> Retrieval:
        """Return the passages retrieved for `query` among the documents `user` may read."""
        query = check_question(query, self.settings.max_question_chars)
        retriever = self.current_retriever()
        _, filters = self._readable(retriever, user, filters)
        return retriever.search(query, k=k, mode=mode, filters=filters)

    def _readable(self, retriever: Retriever, user: User, filters: Filters | None) -> tuple[frozenset[str], Filters]:
        """Return the sources of `retriever`'s index that `user` may not read, and `filters` hiding them too.

        Taken from the same index the search reads, so an upload published meanwhile is never searched unchecked.
        """
        filters = filters or Filters()
        hidden = self.access.hidden(retriever.index.manifest, user)
        return hidden, replace(filters, hidden=filters.hidden | hidden)

    def restricted(self) -> dict[str, frozenset[str]]:
        """Return the groups of each indexed source restricted to some (the Documents tab offers them to admins)."""
        return self.access.restricted(self.current_retriever().index.manifest)

    def documents(self, user: User = LOCAL_USER) -> list[dict[str, object]]:
        """Return the records of the indexed documents `user` may read (as `Manifest.documents`)."""
        manifest = self.current_retriever().index.manifest
        hidden = self.access.hidden(manifest, user)
        return [doc for doc in manifest.documents() if doc["source"] not in hidden]

    def _following_for(self, retriever: Retriever) -> dict[str, Chunk]:
        """Return, for the retriever's index, each chunk's next chunk in its document (computed once per index)."""
        with self._lock:
            if self._index is not retriever.index:
                self._following = _following_chunks(retriever.index.store.chunks)
                self._extractive = {}
                self._index = retriever.index
            return self._following

    def extractive(self, user: User = LOCAL_USER) -> ExtractiveAnswerer:
        """Return the extractive answerer of the current index as `user` sees it (for ranking given passages)."""
        retriever = self.current_retriever()
        return self._extractive_for(retriever, self.access.hidden(retriever.index.manifest, user))

    def _extractive_for(self, retriever: Retriever, hidden: frozenset[str]) -> ExtractiveAnswerer:
        from assistant.answering.evidence import TermStats
        from assistant.answering.extractive import ExtractiveAnswerer

        self._following_for(retriever)  # resets the answerers when the index changed
        with self._lock:
            answerer = self._extractive.get(hidden)
            if answerer is None:
                if len(self._extractive) >= MAX_ACCESS_VIEWS:
                    self._extractive.pop(next(iter(self._extractive)))  # the oldest view; rebuilt when needed
                stats = TermStats(c.text for c in retriever.index.store.chunks if c.source not in hidden)
                answerer = ExtractiveAnswerer(self.embeddings, stats, retriever.indexed_sentences(), self.scorer())
                self._extractive[hidden] = answerer
            return answerer

    def scorer(self) -> AnswerScorer | None:
        """Return the learned answer scorer, or None when the settings switch it off."""
        from assistant.embedding.scorer import load_scorer

        return load_scorer() if self.settings.answer_scorer else None

    def _generative_answerer(self) -> GenerativeAnswerer:
        from assistant.answering.generative import GenerativeAnswerer

        with self._lock:
            if self._generative is None:
                self._generative = GenerativeAnswerer.from_settings(self.settings)
            return self._generative


def _published(settings: Settings) -> str | None:
    """Return the name of the published index generation: reading one small file, cheap enough per question."""
    return current_generation(settings.index_dir)


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
