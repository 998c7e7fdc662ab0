"""Embedder speed on this machine: passages/s on the seed corpus's chunks and single-query latency.

Run: .venv/bin/python bench/embedder_speed.py
"""

from __future__ import annotations

import statistics
import time

from assistant.config import load_settings
from assistant.embedding.embedder import load_embedder
from assistant.index.keywords import indexed_text
from assistant.ingest.catalog import load_catalog
from assistant.ingest.chunking import chunk_document
from assistant.ingest.loaders import load_file


def main() -> None:
    settings = load_settings()
    started = time.perf_counter()
    embedder = load_embedder(settings.embedder, settings.embed_batch_size, settings.embed_precision)
    load_s = time.perf_counter() - started
    catalog = load_catalog(settings.corpus_dir)
    chunks = [
        c
        for path in sorted(settings.corpus_dir.glob("*.txt"))
        for doc in load_file(path, path.name, catalog.get(path.name))
        for c in chunk_document(doc, settings.chunk_max_chars, settings.chunk_overlap_sentences)
    ]
    texts = [indexed_text(c) for c in chunks]
    embedder.embed_passages(texts[:8])  # warm-up
    started = time.perf_counter()
    embedder.embed_passages(texts)
    passages_s = len(texts) / (time.perf_counter() - started)
    latencies = []
    for text in texts[:50]:
        t = time.perf_counter()
        embedder.embed_query(text[:80])
        latencies.append((time.perf_counter() - t) * 1000)
    print("| embedder | load s | passages | mean chars | passages/s | query p50 ms | query p95 ms |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {embedder.name} ({embedder.dim}-d) | {load_s:.1f} | {len(texts)} | "
        f"{statistics.mean(map(len, texts)):.0f} | {passages_s:.1f} | "
        f"{statistics.median(latencies):.1f} | {statistics.quantiles(latencies, n=20)[-1]:.1f} |"
    )


if __name__ == "__main__":
    main()
