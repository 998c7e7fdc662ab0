"""The embedding service: one embedder shared by every stage, with the caches that spare embedding a text twice.

The `Assistant` owns one and hands it to the answerer, the verifier and follow-up rewriting; the
retriever embeds its queries through `embed_query` with the same embedder.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from assistant.embedding.embedder import Embedder

# Texts embedded in one go below this count go one at a time on one torch thread (see `embed_texts`).
SMALL_BATCH = 8
# Sentence vectors kept in memory: a few hundred questions' worth of passages.
TEXT_CAPACITY = 20_000

_THREADS_LOCK = threading.Lock()


def embed_query(embedder: Embedder, query: str) -> np.ndarray:
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


def embed_texts(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """Return the vectors of `texts`; a few short texts go one at a time on one torch thread.

    Two OpenMP threads spin-wait on each other when the cores are busy: a short text then takes
    ~500 ms instead of ~12 ms (the retriever measured it: docs/retrieval.md, "Latency").
    """
    if len(texts) > SMALL_BATCH:
        return embedder.embed_passages(texts)
    return np.stack([embed_query(embedder, t) for t in texts])


class EmbeddingService:
    """An embedder with two caches: sentences by text (least recently used dropped first) and single words.

    Safe to use from several threads; a text being embedded by two threads at once is embedded twice,
    never stored half-done.
    """

    def __init__(self, embedder: Embedder, capacity: int = TEXT_CAPACITY) -> None:
        self.embedder = embedder
        self.capacity = capacity
        self._texts: OrderedDict[str, np.ndarray] = OrderedDict()
        # Words (names, focus words, their synonyms) are few and recur across questions: never dropped.
        self._words: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self.embedder.dim

    def query(self, text: str) -> np.ndarray:
        """Return the (dim,) vector of a question, on one thread (not cached: questions rarely repeat)."""
        return embed_query(self.embedder, text)

    def texts(self, texts: Sequence[str]) -> np.ndarray:
        """Return the (n, dim) vectors of `texts`, embedding only the ones not seen before."""
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._texts]
        if missing:
            fresh = embed_texts(self.embedder, missing)
            with self._lock:
                for text, vector in zip(missing, fresh, strict=True):
                    self._texts[text] = vector
                while len(self._texts) > self.capacity:
                    self._texts.popitem(last=False)
        with self._lock:
            for t in texts:
                self._texts.move_to_end(t)
            return np.stack([self._texts[t] for t in texts]) if texts else np.zeros((0, self.dim))

    def words(self, items: Sequence[str]) -> dict[str, np.ndarray]:
        """Return the vector of each word (or short name) in `items`, embedding only the new ones."""
        with self._lock:
            todo = [w for w in dict.fromkeys(items) if w not in self._words]
        if todo:
            fresh = list(embed_texts(self.embedder, todo))  # a few words one thread each, many in batches
            with self._lock:
                self._words.update(zip(todo, fresh, strict=True))
        with self._lock:
            return {w: self._words[w] for w in items}

    def similarity(self, a: str, b: str) -> float:
        """Return the cosine of two short texts (names), for follow-up rewriting."""
        vectors = self.words([a, b])
        return float(vectors[a] @ vectors[b])
