"""Second stage: re-score the fused candidates with each one's best-matching sentence (MiniLM max-sim).

No cross-encoder ships its weights on PyPI (see ../shared/MODELS.md), so the second stage is built from
the models we have. A passage-level vector blurs a passage into one point, and MiniLM reads only its
first 256 word pieces; the similarity of the query to the passage's *best sentence* sees the one sentence
that answers, wherever it lies. The final score is a weighted sum of min-max normalised BM25, passage
cosine and best-sentence cosine over the candidates; the weights come from SciFact *train*
(docs/retrieval.md, bench/tune_fusion.py).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import nupunkt

from assistant.embedding.answer_adapter import answer_vector
from assistant.embedding.vector_cache import cached_vectors
from assistant.index.store import Store
from assistant.retrieval.fusion import combine
from assistant.types import Chunk


@dataclass(frozen=True)
class SentenceVectors:
    """Sentence vectors of every chunk of a store: chunk row i owns vectors[bounds[i]:bounds[i + 1]]."""

    vectors: np.ndarray  # (n_sentences, dim), L2-normalised
    bounds: np.ndarray  # (n_chunks + 1,) int64

    def max_sim(self, query_vector: np.ndarray, rows: Sequence[int]) -> np.ndarray:
        """Return, for each chunk row, the best cosine between the query and one of its sentences (NaN: none)."""
        out = np.full(len(rows), np.nan, dtype=np.float32)
        for i, row in enumerate(rows):
            a, b = self.bounds[row], self.bounds[row + 1]
            if b > a:
                out[i] = float(np.max(self.vectors[a:b] @ query_vector))
        return out


# A query that asks for something: a question, or a request ("Compare ...", "List ..."). It opens with one of
# these words or ends with a question mark; a statement (SciFact's claims, a search for a phrase) does neither.
_ASKING = re.compile(
    r"^\W*(?:(?:what|who|when|where|why|how)(?:['’]?s)?|whom|whose|which|is|are|was|were|do|does|did|can|could"
    r"|should|would|will|has|have|had|may|must|shall|compare|list|explain|describe|name|summari[sz]e|give|tell"
    r"|define|outline)\b",
    re.I,
)


def asks(query: str) -> bool:
    """Return True when `query` asks for something rather than states it."""
    return query.rstrip().endswith("?") or bool(_ASKING.match(query))


def sentence_query(query: str, query_vector: np.ndarray) -> np.ndarray:
    """Return the vector a query's best sentence is sought with: for a question, its answer-adapted vector.

    The adapter (embedding/answer_adapter.py) moves a question's vector toward the sentences that answer it and
    off those that repeat it. A statement seeks the sentences that say the same, so it keeps its own vector: on
    SciFact train (809 claims) the adapted vector lowered nDCG@10 from 0.7437 to 0.7395 (docs/retrieval.md).
    """
    return answer_vector(query_vector) if asks(query) else query_vector


def sentences(chunk: Chunk) -> list[str]:
    """Return the sentences of a chunk's text (the whole text when it has no sentence break).

    Unlike `ingest.sentences.sentence_spans`, which chunking and the answerer use, this reads the chunk as
    one text, so a heading line runs into the sentence after it. Splitting by line here too changes the
    sentence vectors, and with them rankings and answers (on eval/questions.jsonl: key-fact recall 0.900
    -> 0.889, evidence recall@5 0.902 -> 0.891, citation precision 0.879 -> 0.886): a change of behaviour
    to be chosen on a dev split (the answers issue), not a refactoring.
    """
    found = [s.strip() for s in nupunkt.sent_tokenize(chunk.text) if isinstance(s, str) and s.strip()]
    return found or ([chunk.text.strip()] if chunk.text.strip() else [])


def build_sentence_vectors(
    chunks: Sequence[Chunk],
    embed: Callable[[Sequence[str]], np.ndarray],
    cache_dir: Path,
    tag: str,
    verbose: bool = False,
) -> SentenceVectors:
    """Return the sentence vectors of `chunks`, read from or written to the .npy cache in `cache_dir`."""
    texts: list[str] = []
    bounds = [0]
    for chunk in chunks:
        texts.extend(sentences(chunk))
        bounds.append(len(texts))
    vectors = cached_vectors(embed, texts, cache_dir, tag, verbose=verbose)
    return SentenceVectors(vectors, np.asarray(bounds, dtype=np.int64))


def _embedder_not_needed(texts: Sequence[str]) -> np.ndarray:
    raise RuntimeError("this reranker was given its sentence vectors; it embeds nothing")


class SentenceReranker:
    """Holds the sentence vectors of one store, computed on first use (cached on disk) and then kept."""

    def __init__(self, store: Store, embed: Callable[[Sequence[str]], np.ndarray], cache_dir: Path, tag: str) -> None:
        self.store = store
        self.embed = embed
        self.cache_dir = cache_dir
        self.tag = tag
        self._vectors: SentenceVectors | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_vectors(cls, store: Store, vectors: SentenceVectors) -> SentenceReranker:
        """Return a reranker over `store` whose sentence vectors were computed elsewhere (benchmarks, tests)."""
        reranker = cls(store, _embedder_not_needed, Path(), "")
        reranker._vectors = vectors
        return reranker

    def sentence_vectors(self) -> SentenceVectors:
        # Several app threads may search at once; the vectors are built by one of them only.
        with self._lock:
            if self._vectors is None:
                self._vectors = build_sentence_vectors(self.store.chunks, self.embed, self.cache_dir, self.tag)
            return self._vectors

    def by_chunk(self) -> dict[str, list[tuple[str, np.ndarray]]]:
        """Return each chunk's sentences with their vectors, by chunk id (computed first if need be)."""
        vectors = self.sentence_vectors()
        out = {}
        for row, chunk in enumerate(self.store.chunks):
            start, end = int(vectors.bounds[row]), int(vectors.bounds[row + 1])
            out[chunk.id] = list(zip(sentences(chunk), vectors.vectors[start:end], strict=False))
        return out

    def scores(
        self,
        query_vector: np.ndarray,
        rows: Sequence[int],
        bm25: Sequence[float],
        weights: Mapping[str, float],
        sentence_vector: np.ndarray | None = None,
    ) -> np.ndarray:
        """Return the second-stage score of each candidate row (higher is better).

        `bm25` holds each candidate's BM25 score (0 where BM25 did not return it); the best sentence is sought
        with `sentence_vector` (`sentence_query`), or with `query_vector` when it is None.
        """
        rows = list(rows)
        if not rows:
            return np.zeros(0)
        passage = self.store.vectors_of([self.store.chunks[r].id for r in rows]) @ query_vector
        sought = query_vector if sentence_vector is None else sentence_vector
        sentence = self.sentence_vectors().max_sim(sought, rows)
        sentence = np.where(np.isnan(sentence), passage, sentence)  # a chunk without sentences: its passage score
        features = {"bm25": np.asarray(bm25, dtype=np.float64), "dense": passage, "sentence": sentence}
        return combine(features, weights)
