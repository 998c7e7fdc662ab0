"""Synthetic chunks for the scale benchmarks: clustered vectors, Zipfian text, queries near the data.

Uniform random vectors in 384 dimensions are a poor stand-in for embeddings: every point is about as far
from every other, so approximate indexes look worse (and exact search no different) than on real data.
Sentence embeddings are clustered by topic and most of their variance lies in a few hundred directions. So
a vector here is a topic centre plus a spread inside a `LATENT`-dimensional subspace (a power-law spectrum),
plus a mean direction shared by all and a little isotropic noise, normalised. The constants were set so
that, like all-MiniLM-L6-v2 on SciFact and NFCorpus, a query's top-1/top-10/top-100 cosine is about
0.68/0.46/0.42 (real: 0.62-0.67/0.45-0.53/0.33-0.41), two random chunks have cosine 0.14 (0.15-0.21), and
90% of the variance takes 176 principal directions (144-161).

Text is Zipfian like language: the most frequent words are real English stop words (which BM25's
tokenizer drops, as in real text), then ~200k made-up content words. Each chunk also draws some words
from its topic's own vocabulary, so keyword and dense search agree on topics the way they do on real
documents. A query is a point near a random chunk's vector, with five content words from that chunk.

Everything is derived from a seed, and written once per (n, dim) under a cache folder:
`vectors.npy` (n x dim float32), `texts.txt` (one chunk per line), `queries.npy`, `queries.txt`, and
`truth.npy` (the exact inner-product top-100 rows of each query, for recall).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
from bm25s.stopwords import STOPWORDS_EN

from assistant.types import Chunk

LATENT = 192  # dimensions of the subspace the vectors spread in
CHUNKS_PER_TOPIC = 500
CHUNKS_PER_DOC = 10
WORDS_PER_CHUNK = (100, 150)
TOPIC_WORD_SHARE = 0.15  # share of a chunk's words drawn from its topic's vocabulary
CONTENT_WORDS = 200_000
ZIPF_SHIFT = 2.7  # Zipf-Mandelbrot: p(rank) ~ 1 / (rank + shift)
ORGANISATIONS = ("IOM", "ICMPD", "UNODC", "Frontex", "EUAA", "UNHCR", "OSCE", "Europol", "ILO", "OECD")
TRUTH_K = 100
BLOCK = 50_000  # rows generated at a time, to bound memory

# The stop words BM25's tokenizer drops, most frequent first, as in English text.
STOP_WORDS = sorted(STOPWORDS_EN, key=lambda w: (w not in ("the", "of", "and", "to", "in", "a"), w))


@dataclass(frozen=True)
class Synthetic:
    """Paths of one generated data set."""

    folder: Path
    n: int
    dim: int

    @property
    def vectors(self) -> Path:
        return self.folder / "vectors.npy"

    @property
    def texts(self) -> Path:
        return self.folder / "texts.txt"

    @property
    def queries(self) -> Path:
        return self.folder / "queries.npy"

    @property
    def query_texts(self) -> Path:
        return self.folder / "queries.txt"

    @property
    def truth(self) -> Path:
        return self.folder / "truth.npy"


def organisation(row: int) -> str:
    return ORGANISATIONS[(row // CHUNKS_PER_DOC) % len(ORGANISATIONS)]


def source(row: int) -> str:
    return f"reports/doc-{row // CHUNKS_PER_DOC:07d}.pdf"


def chunks(texts: Path) -> Iterator[Chunk]:
    """Yield the chunks of a generated `texts.txt`, ten to a document, documents spread over orgs and years."""
    with texts.open(encoding="utf-8") as lines:
        for row, line in enumerate(lines):
            text = line.rstrip("\n")
            doc = row // CHUNKS_PER_DOC
            start = (row % CHUNKS_PER_DOC) * 1000
            yield Chunk(
                id=f"c{row:08d}",
                doc_id=f"d{doc:07d}",
                text=text,
                start=start,
                end=start + len(text),
                source=source(row),
                title=f"Report {doc}",
                organisation=organisation(row),
                date=f"{2000 + doc % 25}-06",
            )


def generate(n: int, dim: int, n_queries: int, cache: Path, seed: int = 0) -> Synthetic:
    """Return the data set of `n` chunks in `dim` dimensions, generating it under `cache` unless it is there."""
    data = Synthetic(cache / f"n{n}-d{dim}-q{n_queries}-s{seed}", n, dim)
    if data.truth.exists():
        return data
    data.folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    topics = max(1, n // CHUNKS_PER_TOPIC)
    topic_of = rng.integers(0, topics, size=n)
    _write_vectors(data, topic_of, rng)
    _write_texts(data, topic_of, topics, rng)
    _write_queries(data, n_queries, rng)
    return data


def _write_vectors(data: Synthetic, topic_of: np.ndarray, rng: np.random.Generator) -> None:
    # A power-law spectrum over the latent dimensions, a shared mean direction and some isotropic noise:
    # with these values the statistics below match all-MiniLM-L6-v2 on SciFact and NFCorpus (see module doc).
    spectrum = (np.arange(1, LATENT + 1) ** -0.4).astype(np.float32)
    spectrum /= np.linalg.norm(spectrum)
    basis = np.linalg.qr(rng.standard_normal((data.dim, LATENT)))[0].T.astype(np.float32)  # orthonormal rows
    mean = rng.standard_normal(data.dim).astype(np.float32)
    mean *= 0.55 / np.linalg.norm(mean)
    centres = rng.standard_normal((int(topic_of.max()) + 1, LATENT)).astype(np.float32) * spectrum
    out = np.lib.format.open_memmap(data.vectors, mode="w+", dtype=np.float32, shape=(data.n, data.dim))
    for start in range(0, data.n, BLOCK):
        rows = topic_of[start : start + BLOCK]
        latent = centres[rows] + 0.8 * rng.standard_normal((len(rows), LATENT)).astype(np.float32) * spectrum
        noise = rng.standard_normal((len(rows), data.dim)).astype(np.float32) * np.float32(0.6 / np.sqrt(data.dim))
        block = latent @ basis + mean + noise
        faiss.normalize_L2(block)
        out[start : start + len(rows)] = block
    out.flush()
    del out


def _vocabulary(rng: np.random.Generator) -> np.ndarray:
    letters_c, letters_v = "bcdfghjklmnprstvz", "aeiou"
    syllables = np.array([c + v for c in letters_c for v in letters_v])
    words: set[str] = set()
    while len(words) < CONTENT_WORDS:
        lengths = rng.integers(2, 5, size=CONTENT_WORDS)
        for length in lengths:
            words.add("".join(rng.choice(syllables, size=length)))
            if len(words) == CONTENT_WORDS:
                break
    content = sorted(words)
    rng.shuffle(content)  # ranks unrelated to spelling
    return np.array(STOP_WORDS + content)


def _write_texts(data: Synthetic, topic_of: np.ndarray, topics: int, rng: np.random.Generator) -> None:
    vocab = _vocabulary(rng)
    ranks = np.arange(1, len(vocab) + 1, dtype=np.float64)
    cumulative = np.cumsum(1.0 / (ranks + ZIPF_SHIFT))
    cumulative /= cumulative[-1]
    # Each topic's own words: 40 mid-frequency content words.
    topic_words = rng.integers(len(STOP_WORDS) + 200, len(STOP_WORDS) + 50_000, size=(topics, 40))
    with data.texts.open("w", encoding="utf-8") as out:
        for start in range(0, data.n, BLOCK):
            rows = topic_of[start : start + BLOCK]
            lengths = rng.integers(WORDS_PER_CHUNK[0], WORDS_PER_CHUNK[1] + 1, size=len(rows))
            ids = np.searchsorted(cumulative, rng.random(int(lengths.sum())))
            from_topic = rng.random(len(ids)) < TOPIC_WORD_SHARE
            owner = np.repeat(rows, lengths)
            ids[from_topic] = topic_words[owner[from_topic], rng.integers(0, 40, size=int(from_topic.sum()))]
            words = vocab[ids]
            ends = np.cumsum(lengths)
            out.writelines(" ".join(words[e - k : e]) + "\n" for e, k in zip(ends, lengths, strict=True))


def _write_queries(data: Synthetic, n_queries: int, rng: np.random.Generator) -> None:
    vectors = np.load(data.vectors, mmap_mode="r")
    near = np.sort(rng.choice(data.n, size=n_queries, replace=False))
    noise = rng.standard_normal((n_queries, data.dim)) * 1.1 / np.sqrt(data.dim)
    queries = (np.asarray(vectors[near]) + noise).astype(np.float32)
    faiss.normalize_L2(queries)
    np.save(data.queries, queries)
    stop = set(STOP_WORDS)
    wanted = {int(r): i for i, r in enumerate(near)}
    texts = [""] * n_queries
    with data.texts.open(encoding="utf-8") as lines:
        for row, line in enumerate(lines):
            if row in wanted:
                content = [w for w in line.split() if w not in stop]
                picked = rng.choice(content, size=min(5, len(content)), replace=False)
                texts[wanted[row]] = "what about the " + " ".join(picked)
    data.query_texts.write_text("\n".join(texts) + "\n", encoding="utf-8")
    # Exact top-k by brute force, in blocks (the flat index itself is one of the things measured).
    best_scores = np.full((n_queries, TRUTH_K), -np.inf, dtype=np.float32)
    best_rows = np.zeros((n_queries, TRUTH_K), dtype=np.int64)
    for start in range(0, data.n, BLOCK * 4):
        block = np.asarray(vectors[start : start + BLOCK * 4])
        scores = queries @ block.T
        rows = np.broadcast_to(np.arange(start, start + len(block)), scores.shape)
        all_scores = np.hstack([best_scores, scores])
        all_rows = np.hstack([best_rows, rows])
        top = np.argsort(-all_scores, axis=1, kind="stable")[:, :TRUTH_K]
        best_scores = np.take_along_axis(all_scores, top, axis=1)
        best_rows = np.take_along_axis(all_rows, top, axis=1)
    np.save(data.truth, best_rows)
