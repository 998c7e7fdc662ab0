"""BEIR benchmarks: load a BEIR folder, index it in memory (vectors cached on disk), score a run."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.embedding.embedder import Embedder, load_embedder
from assistant.embedding.vector_cache import cached_vectors
from assistant.errors import AssistantError
from assistant.index.faiss_store import FaissStore
from assistant.index.keywords import indexed_text
from assistant.index.store import Store, StoreTarget
from assistant.retrieval.rerank import build_sentence_vectors
from assistant.retrieval.retrieve import Retriever
from assistant.types import Chunk


@dataclass(frozen=True, slots=True)
class BeirSet:
    """One BEIR dataset split: the corpus as chunks (one per document), the queries and their judgements."""

    name: str
    chunks: tuple[Chunk, ...]
    queries: dict[str, str]  # query id -> text, only queries that have judgements in the split
    qrels: dict[str, dict[str, int]]  # query id -> {doc id: relevance grade}


@dataclass(frozen=True, slots=True)
class Metrics:
    ndcg10: float
    recall100: float
    mrr10: float
    queries: int


def load_beir(folder: Path, split: str = "test", limit_queries: int | None = None) -> BeirSet:
    """Return the BEIR dataset in `folder` (corpus.jsonl, queries.jsonl, qrels/<split>.tsv)."""
    qrels_file = folder / "qrels" / f"{split}.tsv"
    for needed in (folder / "corpus.jsonl", folder / "queries.jsonl", qrels_file):
        if not needed.is_file():
            raise AssistantError(f"{needed} is missing: --beir must name a BEIR folder with a {split} split.")
    qrels: dict[str, dict[str, int]] = {}
    with qrels_file.open(encoding="utf-8") as lines:
        next(lines)  # header: query-id corpus-id score
        for line in lines:
            qid, doc_id, grade = line.rstrip("\n").split("\t")
            if int(grade) > 0:
                qrels.setdefault(qid, {})[doc_id] = int(grade)
    queries = {}
    with (folder / "queries.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if row["_id"] in qrels:
                queries[row["_id"]] = row["text"]
    if limit_queries:
        queries = dict(list(queries.items())[:limit_queries])
    chunks = []
    with (folder / "corpus.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            text = row.get("text", "")
            # source carries the BEIR doc id, so a hit maps back to the judgements.
            chunks.append(
                Chunk(
                    id=row["_id"],
                    doc_id=row["_id"],
                    text=text,
                    start=0,
                    end=len(text),
                    source=row["_id"],
                    title=row.get("title", ""),
                )
            )
    return BeirSet(folder.resolve().name, tuple(chunks), queries, {q: qrels[q] for q in queries})


def passage_vectors(beir: BeirSet, embedder: Embedder, cache_dir: Path) -> np.ndarray:
    """Return the (n, dim) vectors of the BEIR corpus, embedded exactly as ingest embeds chunks."""
    texts = [indexed_text(c) for c in beir.chunks]
    return cached_vectors(embedder.embed_passages, texts, cache_dir, f"{beir.name}-{embedder.name}")


def evaluate(run: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]) -> Metrics:
    """Return nDCG@10 (linear gains, as trec_eval/BEIR), Recall@100 and MRR@10, averaged over `qrels`' queries."""
    ndcg, recall, mrr = [], [], []
    for qid, judged in qrels.items():
        ranked = list(run.get(qid, ()))
        gains = [judged.get(d, 0) for d in ranked[:10]]
        dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
        ideal = sorted(judged.values(), reverse=True)[:10]
        idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
        ndcg.append(dcg / idcg if idcg else 0.0)
        recall.append(len(set(ranked[:100]) & judged.keys()) / len(judged))
        first = next((i for i, d in enumerate(ranked[:10], start=1) if d in judged), None)
        mrr.append(1.0 / first if first else 0.0)
    n = len(qrels)
    return Metrics(sum(ndcg) / n, sum(recall) / n, sum(mrr) / n, n) if n else Metrics(0.0, 0.0, 0.0, 0)


@dataclass(frozen=True, slots=True)
class ModeResult:
    mode: str
    metrics: Metrics
    p50_ms: float
    p95_ms: float


def beir_retriever(beir: BeirSet, settings: Settings, cache_dir: Path, rerank: bool = True) -> Retriever:
    """Return a Retriever over the BEIR corpus indexed in memory, one chunk per document (title + text).

    With `rerank`, the second stage's sentence vectors are computed (or read from the cache) up front.
    """
    embedder = load_embedder(settings.embedder, settings.embed_batch_size, settings.embed_precision)
    vectors = passage_vectors(beir, embedder, cache_dir)
    store = beir_store(beir, vectors, embedder.dim, settings, cache_dir)
    sentences = None
    if rerank:
        tag = f"{beir.name}-sentences-{embedder.name}"
        sentences = build_sentence_vectors(store.chunks, embedder.embed_passages, cache_dir, tag, verbose=True)
    return Retriever.from_store(store, embedder, settings, sentences=sentences)


def beir_store(beir: BeirSet, vectors: np.ndarray, dim: int, settings: Settings, cache_dir: Path) -> Store:
    """Return the BEIR corpus in the configured store: FAISS in memory, or a Milvus collection made afresh.

    The Milvus collection is `beir_<dataset>`, at `milvus_uri` if set, else in the Milvus Lite file
    `<cache_dir>/milvus.db`.
    """
    if settings.store == "faiss":
        return FaissStore.build(beir.chunks, vectors, dim, settings.approximate_above)
    from assistant.index.milvus_store import MilvusStore

    uri = settings.milvus_uri or str(cache_dir / "milvus.db")
    collection = "beir_" + re.sub(r"\W", "_", beir.name)
    target = StoreTarget.from_settings(settings.replace(milvus_uri=uri, milvus_collection=collection))
    store = MilvusStore.create(target, dim, settings.milvus_token)
    store.add(beir.chunks, vectors)
    store.flush()
    return store


def run_benchmark(
    beir: BeirSet,
    modes: Sequence[str],
    settings: Settings,
    cache_dir: Path,
    progress: Callable[[str], None] = lambda line: None,
) -> list[ModeResult]:
    """Return quality and per-query latency (query embedding included) of each retrieval mode."""
    retriever = beir_retriever(beir, settings, cache_dir, rerank="hybrid+rerank" in modes)
    # Recall@100 needs 100 results, so each first stage hands over at least 100 candidates here.
    results = []
    for mode in modes:
        run: dict[str, list[str]] = {}
        latencies = []
        for qid, query in beir.queries.items():
            started = time.perf_counter()
            hits = retriever.search(query, k=100, mode=mode).hits
            latencies.append((time.perf_counter() - started) * 1000)
            run[qid] = [h.chunk.id for h in hits]
        metrics = evaluate(run, beir.qrels)
        p50, p95 = np.percentile(latencies, [50, 95]) if latencies else (0.0, 0.0)
        results.append(ModeResult(mode, metrics, float(p50), float(p95)))
        progress(f"{mode}: nDCG@10 {metrics.ndcg10:.4f}  R@100 {metrics.recall100:.4f}  MRR@10 {metrics.mrr10:.4f}")
    return results
