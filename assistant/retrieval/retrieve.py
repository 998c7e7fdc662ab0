"""Retrieval: BM25 and dense candidates, fused, optionally reranked, filtered inside the search."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.embedding.embedder import Embedder, load_embedder
from assistant.embedding.service import embed_query
from assistant.errors import IndexMissingError
from assistant.index.generations import Index, Manifest, load_index
from assistant.index.store import Ranked, Store, StoreTarget
from assistant.retrieval.fusion import fuse
from assistant.retrieval.rerank import SentenceReranker, SentenceVectors, sentence_query
from assistant.types import Filters, Hit


@dataclass(frozen=True, slots=True)
class Retrieval:
    """The hits of one search, best first, and how long its stages took.

    `timings_ms` holds "retrieve" (first stage and fusion) and "rerank" (the second stage, 0 if none). They
    travel with the hits because one retriever serves several questions at once.
    """

    hits: list[Hit]
    timings_ms: dict[str, float] = field(default_factory=dict)


def rerank_weights(settings: Settings) -> dict[str, float]:
    return {
        "bm25": settings.rerank_bm25_weight,
        "dense": settings.rerank_dense_weight,
        "sentence": settings.rerank_sentence_weight,
    }


def second_stage(
    fused: Ranked,
    bm25: Mapping[int, float],
    query_vector: np.ndarray,
    reranker: SentenceReranker,
    settings: Settings,
    sentence_vector: np.ndarray | None = None,
) -> Ranked:
    """Return `fused` with its top `rerank_candidates` re-ordered by the sentence reranker, the rest after them.

    The tail keeps its fused order, its scores scaled below the reranked head so scores fall with rank. The best
    sentences are sought with `sentence_vector` when given (`rerank.sentence_query`), else with `query_vector`.
    """
    head, tail = fused[: settings.rerank_candidates], fused[settings.rerank_candidates :]
    if not head:
        return []
    rows = [r for r, _ in head]
    bm25_scores = [bm25.get(r, 0.0) for r in rows]
    scores = reranker.scores(query_vector, rows, bm25_scores, rerank_weights(settings), sentence_vector)
    order = sorted(range(len(rows)), key=lambda i: (-scores[i], i))
    reranked = [(rows[i], float(scores[i])) for i in order]
    if tail:
        floor = reranked[-1][1]
        top_tail = max(tail[0][1], 1e-12)
        reranked += [(r, floor * s / top_tail) for r, s in tail]
    return reranked


class Retriever:
    """A loaded index and embedder; answers queries in any retrieval mode."""

    def __init__(
        self, index: Index, embedder: Embedder, settings: Settings, reranker: SentenceReranker | None = None
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        # Sentence vectors are cached beside the index generation they describe, computed on first use.
        self.reranker = reranker or SentenceReranker(
            index.store, embedder.embed_passages, index.folder / "rerank-cache", f"sentences-{embedder.name}"
        )

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder | None = None) -> Retriever:
        """Return a retriever over the published index, with `embedder` or the configured one."""
        # The index first: a missing or damaged one is reported at once, not after the model's 10 s of imports.
        index = load_index(settings.index_dir, StoreTarget.from_settings(settings), settings.milvus_token)
        embedder = embedder or load_embedder(settings.embedder, settings.embed_batch_size, settings.embed_precision)
        if index.manifest.embedder != embedder.name:
            # Queries must be embedded the way the passages were: another model or precision ranks at random.
            raise IndexMissingError(
                f"The index in {settings.index_dir}/ was embedded with {index.manifest.embedder}, but the "
                f"settings embed with {embedder.name}; rebuild it: assistant ingest"
            )
        return cls(index, embedder, settings)

    @classmethod
    def from_store(
        cls, store: Store, embedder: Embedder, settings: Settings, sentences: SentenceVectors | None = None
    ) -> Retriever:
        """Return a retriever over an in-memory store (benchmarks); `sentences` avoids re-encoding them."""
        manifest = Manifest(embedder=embedder.name, dim=embedder.dim, chunking={})
        index = Index(folder=Path(".cache/in-memory"), generation="in-memory", manifest=manifest, store=store)
        reranker = SentenceReranker.from_vectors(store, sentences) if sentences is not None else None
        return cls(index, embedder, settings, reranker)

    def indexed_sentences(self) -> dict[str, list[tuple[str, np.ndarray]]]:
        """Return the sentence vectors of the index by chunk id, as the reranker holds them ({} without it).

        The answerer's sentences are mostly the same strings, so with these it embeds almost nothing
        at question time. Without the second stage nothing computed them, and they are not computed here.
        """
        if self.settings.retrieval_mode != "hybrid+rerank":
            return {}
        return self.reranker.by_chunk()

    def search(
        self, query: str, k: int | None = None, mode: str | None = None, filters: Filters | None = None
    ) -> Retrieval:
        """Return the top `k` hits for `query`, best first, with the time each stage took."""
        k = k or self.settings.top_k
        mode = mode or self.settings.retrieval_mode
        store = self.index.store
        n = max(self.settings.candidates, k)
        started = time.perf_counter()
        per_stage: dict[int, dict[str, float]] = defaultdict(dict)
        keyword: Ranked = []
        dense: Ranked = []
        query_vector = None
        if mode in ("bm25", "hybrid", "hybrid+rerank"):
            keyword = store.keyword_search(query, n, filters)
            for row, score in keyword:
                per_stage[row]["bm25"] = score
        if mode in ("dense", "hybrid", "hybrid+rerank"):
            query_vector = embed_query(self.embedder, query)
            dense = store.dense_search(query_vector, n, filters)
            for row, score in dense:
                per_stage[row]["dense"] = score
        if mode == "bm25":
            ranked = keyword
        elif mode == "dense":
            ranked = dense
        else:
            ranked = fuse(keyword, dense, self.settings)
            for row, score in ranked:
                per_stage[row]["fused"] = score
        timings = {"retrieve": (time.perf_counter() - started) * 1000, "rerank": 0.0}
        if mode == "hybrid+rerank" and query_vector is not None:
            rerank_started = time.perf_counter()
            sought = sentence_query(query, query_vector) if self.settings.rerank_answer_adapter else None
            ranked = second_stage(ranked, dict(keyword), query_vector, self.reranker, self.settings, sought)
            for row, score in ranked[: self.settings.rerank_candidates]:
                per_stage[row]["rerank"] = score
            timings["rerank"] = (time.perf_counter() - rerank_started) * 1000
        hits = [
            Hit(chunk=store.chunks[row], score=score, rank=i, scores=dict(per_stage[row]))
            for i, (row, score) in enumerate(ranked[:k], start=1)
        ]
        return Retrieval(hits, timings)
