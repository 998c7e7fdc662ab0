"""Choose the approximate FAISS index: recall@10 against exact, build time and query latency of HNSW and IVF.

Usage: .venv/bin/python bench/ann_sweep.py [--n 100000] [--dim 384] [--cache /tmp/assistant-scale]
       [--hnsw-m 16 32] [--ef-search 32 64 128 256] [--nlist 1024] [--nprobe 8 16 32 64]
       [--filtered 0.001 0.01 0.1] [--vectors V.npy [V2.npy ...] --queries-file Q.npy]

On the synthetic clustered data of bench/synthetic.py (queries near data points), one query at a time as
the assistant searches. `--filtered` adds rows for searches restricted to a random share of the rows
(FAISS filters inside the search): HNSW with the selector against exact search over the allowed rows,
the choice `assistant.index.faiss_store` makes for selective filters. Prints markdown tables; the chosen values and
their numbers are in eval/benchmarks/scale.md. `--vectors/--queries-file` run the sweep on real embeddings
instead (e.g. the reranker's sentence vectors of SciFact and NFCorpus that `assistant bench --beir` caches
in .cache/beir, with SciFact's query vectors), to check that the synthetic data does not flatter one index.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import faiss
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from synthetic import generate  # noqa: E402

from assistant.index.faiss_store import search_one_thread  # noqa: E402

K = 10


def timed_search(index: faiss.Index, queries: np.ndarray, params: faiss.SearchParameters | None) -> tuple:
    """Return (rows, latencies in ms) of searching `queries` one at a time, on one thread as the store does."""
    rows, latencies = [], []
    for q in queries:
        started = time.perf_counter()
        _, found = search_one_thread(index, q.reshape(1, -1), K, params)
        latencies.append((time.perf_counter() - started) * 1000)
        rows.append(found[0])
    return np.array(rows), np.array(latencies)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t[:K])) / K for f, t in zip(found, truth, strict=True)]))


def row(name: str, build_s: float, found: np.ndarray, truth: np.ndarray, ms: np.ndarray) -> str:
    p50, p95 = np.percentile(ms, [50, 95])
    return f"| {name} | {build_s:.1f} | {recall(found, truth):.3f} | {p50:.2f} | {p95:.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/assistant-scale"))
    parser.add_argument("--hnsw-m", type=int, nargs="*", default=[16, 32])
    parser.add_argument("--ef-construction", type=int, default=40)
    parser.add_argument("--ef-search", type=int, nargs="*", default=[32, 64, 128, 256])
    parser.add_argument("--nlist", type=int, nargs="*", default=[])
    parser.add_argument("--nprobe", type=int, nargs="*", default=[8, 16, 32, 64])
    parser.add_argument("--filtered", type=float, nargs="*", default=[])
    parser.add_argument("--vectors", type=Path, nargs="*", default=[])
    parser.add_argument("--queries-file", type=Path, default=None)
    args = parser.parse_args()

    if args.vectors:
        vectors = np.ascontiguousarray(np.vstack([np.load(v) for v in args.vectors]), dtype=np.float32)
        queries = np.ascontiguousarray(np.load(args.queries_file), dtype=np.float32)
        args.n, args.dim, args.queries = len(vectors), vectors.shape[1], len(queries)
        truth = faiss.knn(queries, vectors, K, metric=faiss.METRIC_INNER_PRODUCT)[1]
    else:
        data = generate(args.n, args.dim, args.queries, args.cache)
        vectors = np.load(data.vectors)
        queries = np.load(data.queries)
        truth = np.load(data.truth)
    print(f"{args.n} vectors, {args.dim} dims, {args.queries} queries, {faiss.omp_get_max_threads()} threads\n")
    print("| index | build s | recall@10 | p50 ms | p95 ms |\n|---|---|---|---|---|")
    flat = faiss.IndexFlatIP(args.dim)
    flat.add(vectors)
    found, ms = timed_search(flat, queries, None)
    print(row("flat (exact)", 0.0, found, truth, ms))
    hnsw_indexes = {}
    for m in args.hnsw_m:
        started = time.perf_counter()
        hnsw = faiss.IndexHNSWFlat(args.dim, m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = args.ef_construction
        hnsw.add(vectors)
        build_s = time.perf_counter() - started
        hnsw_indexes[m] = hnsw
        for ef in args.ef_search:
            found, ms = timed_search(hnsw, queries, faiss.SearchParametersHNSW(efSearch=ef))
            print(row(f"HNSW M={m} efC={args.ef_construction} efSearch={ef}", build_s, found, truth, ms))
    for nlist in args.nlist:
        started = time.perf_counter()
        ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(args.dim), args.dim, nlist, faiss.METRIC_INNER_PRODUCT)
        ivf.train(vectors[np.random.default_rng(0).choice(len(vectors), min(len(vectors), nlist * 50), replace=False)])
        ivf.add(vectors)
        build_s = time.perf_counter() - started
        for nprobe in args.nprobe:
            found, ms = timed_search(ivf, queries, faiss.SearchParametersIVF(nprobe=nprobe))
            print(row(f"IVF-Flat nlist={nlist} nprobe={nprobe}", build_s, found, truth, ms))

    if args.filtered and hnsw_indexes:
        m, hnsw = next(iter(hnsw_indexes.items()))
        print(f"\nFiltered search (HNSW M={m}); recall against exact search over the allowed rows\n")
        print("| allowed share | search | recall@10 | p50 ms | p95 ms |\n|---|---|---|---|---|")
        rng = np.random.default_rng(1)
        for share in args.filtered:
            mask = rng.random(args.n) < share
            sel = faiss.IDSelectorBitmap(np.packbits(mask, bitorder="little"))
            exact, ms = timed_search(flat, queries, faiss.SearchParameters(sel=sel))
            print(row(f"{share:g} | exact flat", 0.0, exact, exact, ms).replace("| 0.0 |", "|", 1))
            for ef in args.ef_search:
                found, ms = timed_search(hnsw, queries, faiss.SearchParametersHNSW(sel=sel, efSearch=ef))
                print(row(f"{share:g} | HNSW efSearch={ef}", 0.0, found, exact, ms).replace("| 0.0 |", "|", 1))


if __name__ == "__main__":
    main()
