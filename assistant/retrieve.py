"""Retrieval: BM25 and dense candidates, fused, optionally reranked, filtered inside the search."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence

from assistant.config import Settings
from assistant.embedder import Embedder, load_embedder
from assistant.index import Index, load_index
from assistant.types import Filters, Hit


def rrf(rankings: Sequence[Sequence[int]], k: int = 60) -> list[tuple[int, float]]:
    """Return (item, score) by reciprocal-rank fusion of `rankings`, best first, ties by item."""
    scores: dict[int, float] = defaultdict(float)
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] += 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


class Retriever:
    """A loaded index and embedder; answers queries in any retrieval mode."""

    def __init__(self, index: Index, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.last_timings_ms: dict[str, float] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> Retriever:
        return cls(load_index(settings.index_dir), load_embedder(settings.embedder, settings.embed_batch_size), settings)

    def search(
        self, query: str, k: int | None = None, mode: str | None = None, filters: Filters | None = None
    ) -> list[Hit]:
        """Return the top `k` hits for `query`, best first."""
        k = k or self.settings.top_k
        mode = mode or self.settings.retrieval_mode
        store = self.index.store
        n = max(self.settings.candidates, k)
        started = time.perf_counter()
        per_stage: dict[int, dict[str, float]] = defaultdict(dict)
        rankings: list[list[int]] = []
        if mode in ("bm25", "hybrid", "hybrid+rerank"):
            keyword = store.keyword_search(query, n, filters)
            rankings.append([row for row, _ in keyword])
            for row, score in keyword:
                per_stage[row]["bm25"] = score
        if mode in ("dense", "hybrid", "hybrid+rerank"):
            dense = store.dense_search(self.embedder.embed_query(query), n, filters)
            rankings.append([row for row, _ in dense])
            for row, score in dense:
                per_stage[row]["dense"] = score
        if len(rankings) == 1:
            ranked = [(row, per_stage[row]["bm25" if mode == "bm25" else "dense"]) for row in rankings[0]]
        else:
            ranked = rrf(rankings, self.settings.rrf_k)
            for row, score in ranked:
                per_stage[row]["fused"] = score
        self.last_timings_ms = {"retrieve": (time.perf_counter() - started) * 1000}
        return [
            Hit(chunk=store.chunks[row], score=score, rank=i, scores=dict(per_stage[row]))
            for i, (row, score) in enumerate(ranked[:k], start=1)
        ]
