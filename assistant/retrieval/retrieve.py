"""Retrieval: BM25 and dense candidates, fused, optionally reranked, filtered inside the search."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.embedding.embedder import Embedder, load_embedder
from assistant.index.generations import Index, Manifest, load_index
from assistant.index.store import Store, StoreTarget
from assistant.retrieval.rerank import SentenceReranker, SentenceVectors
from assistant.types import Filters, Hit

Ranked = list[tuple[int, float]]  # (store row, score), best first


_THREADS_LOCK = threading.Lock()


def embed_query_one_thread(embedder: Embedder, query: str) -> np.ndarray:
    """Return the query vector, computed on a single torch thread.

    One short query gains nothing from a second thread, and when the cores are busy the two OpenMP
    threads spin-wait on each other: on our shared 2-core machine a query took ~550 ms on 2 threads
    and ~12 ms on 1 (docs/retrieval.md, "Latency"). torch's thread count is process-wide, hence the lock.
    """
    try:
        import torch
    except ImportError:  # an embedder without torch has nothing to tune here
        return embedder.embed_query(query)
    with _THREADS_LOCK:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return embedder.embed_query(query)
        finally:
            torch.set_num_threads(before)


def rrf(rankings: Sequence[Sequence[int]], k: int = 60) -> Ranked:
    """Return (item, score) by reciprocal-rank fusion of `rankings`, best first, ties by item."""
    scores: dict[int, float] = defaultdict(float)
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] += 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def weighted_fusion(score_lists: Sequence[Sequence[tuple[int, float]]], weights: Sequence[float]) -> Ranked:
    """Return (item, score) by a weighted sum of each list's min-max normalised scores, best first, ties by item.

    An item missing from a list scores 0 there, as low as that list's last item: it was not in that
    retriever's top candidates.
    """
    scores: dict[int, float] = defaultdict(float)
    for pairs, weight in zip(score_lists, weights, strict=True):
        if not pairs:
            continue
        values = [s for _, s in pairs]
        lo, hi = min(values), max(values)
        for item, score in pairs:
            scores[item] += weight * ((score - lo) / (hi - lo) if hi > lo else 1.0)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def fuse(keyword: Ranked, dense: Ranked, settings: Settings) -> Ranked:
    """Return the hybrid ranking of the two candidate lists, by the configured fusion."""
    if settings.fusion == "rrf":
        return rrf([[r for r, _ in keyword], [r for r, _ in dense]], settings.rrf_k)
    w = settings.fusion_bm25_weight
    return weighted_fusion([keyword, dense], [w, 1.0 - w])


def rerank_weights(settings: Settings) -> dict[str, float]:
    return {
        "bm25": settings.rerank_bm25_weight,
        "dense": settings.rerank_dense_weight,
        "sentence": settings.rerank_sentence_weight,
    }


def second_stage(
    fused: Ranked, bm25: Mapping[int, float], query_vector: np.ndarray, reranker: SentenceReranker, settings: Settings
) -> Ranked:
    """Return `fused` with its top `rerank_candidates` re-ordered by the sentence reranker, the rest after them.

    The tail keeps its fused order, its scores scaled below the reranked head so scores fall with rank.
    """
    head, tail = fused[: settings.rerank_candidates], fused[settings.rerank_candidates :]
    if not head:
        return []
    rows = [r for r, _ in head]
    scores = reranker.scores(query_vector, rows, [bm25.get(r, 0.0) for r in rows], rerank_weights(settings))
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
        self.last_timings_ms: dict[str, float] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> Retriever:
        embedder = load_embedder(settings.embedder, settings.embed_batch_size)
        index = load_index(settings.index_dir, StoreTarget.from_settings(settings), settings.milvus_token)
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

    def search(
        self, query: str, k: int | None = None, mode: str | None = None, filters: Filters | None = None
    ) -> list[Hit]:
        """Return the top `k` hits for `query`, best first.

        `last_timings_ms` then holds "retrieve" (first stage and fusion) and "rerank" (the second stage, 0 if none).
        """
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
            query_vector = embed_query_one_thread(self.embedder, query)
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
            ranked = second_stage(ranked, dict(keyword), query_vector, self.reranker, self.settings)
            for row, score in ranked[: self.settings.rerank_candidates]:
                per_stage[row]["rerank"] = score
            timings["rerank"] = (time.perf_counter() - rerank_started) * 1000
        self.last_timings_ms = timings
        return [
            Hit(chunk=store.chunks[row], score=score, rank=i, scores=dict(per_stage[row]))
            for i, (row, score) in enumerate(ranked[:k], start=1)
        ]
