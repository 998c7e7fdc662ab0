"""Scale: build time, index size, memory and query latency of the stores at 10k to 1M synthetic chunks.

Usage: .venv/bin/python bench/scale.py [--sizes 10000 100000 1000000] [--dims 384 768]
       [--stores faiss-exact faiss-hnsw milvus] [--queries 200] [--cache /tmp/assistant-scale]
       [--milvus-max-floats 384000000] [--milvus-queries 50] [--max-rss-gb 16] [--out eval/benchmarks/scale.md]

Data: bench/synthetic.py (clustered vectors shaped like MiniLM's, Zipfian text of 100-150 words a chunk,
ten chunks a document, ten organisations, 25 years), generated once per size and dimension under --cache.
Stores, each built and queried through the project's own code:
- faiss-exact: `FaissStore.build` with the flat index (what the store picks up to `approximate_above`);
- faiss-hnsw: `FaissStore.build` forced to the approximate index it picks above the threshold;
- milvus: `assistant.index.milvus_store.MilvusStore` in a Milvus Lite file, as the project ships it.
Each store is built in one child process (build time, index size on disk, peak RSS) and loaded from disk
and queried in another (load time, RSS when loaded, peak RSS, latency), so the peaks are separable. A query
is timed for dense (the query vector is given: the embedder is not measured), keyword, and hybrid: both
searches of `candidates` (50) each plus `assistant.retrieval.retrieve.fuse`, everything before reranking. Hybrid is
also timed with a filter on one organisation (10% of the chunks) and on one document (10 chunks). Dense
recall@10 is against the exact top 10; hybrid overlap@10 is against the faiss-exact hybrid top 10.
Milvus Lite is pure Python and slow at scale: it is built only where chunks x dim <= --milvus-max-floats,
and timed on the first --milvus-queries queries. A child whose resident memory passes --max-rss-gb, or
that runs over --timeout, is stopped and reported as such.

Prints the table and writes it, with the command, the machine and the memory growth, to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import synthetic  # noqa: E402

from assistant.config import Settings, load_settings  # noqa: E402
from assistant.index import faiss_store as store_module  # noqa: E402
from assistant.retrieval.retrieve import fuse  # noqa: E402
from assistant.types import Filters  # noqa: E402

STORES = ("faiss-exact", "faiss-hnsw", "milvus")
MILVUS_ADD_BATCH = 20_000  # MilvusStore.add turns every vector into a Python list at once: 12 GB for 1M x 384
WARM_UP = 10  # queries run before timing, so the first page faults and lazy setup are not counted
K = 10


def rss_gb() -> float:
    """Return this process's resident memory now, in GB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e9
    return 0.0


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9  # ru_maxrss is in KiB on Linux


def folder_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def milvus_target(work: Path) -> Any:
    from assistant.index.store import StoreTarget

    return StoreTarget("milvus", str(work / "milvus.db"), "chunks")


# --- child processes --------------------------------------------------------------------------------------


def child_build(store: str, data: synthetic.Synthetic, work: Path) -> dict[str, Any]:
    """Build `store` over `data`, save it into `work`; return times, sizes and memory."""
    chunks = list(synthetic.chunks(data.texts))
    vectors = np.load(data.vectors)
    out: dict[str, Any] = {"data_rss_gb": rss_gb()}
    started = time.perf_counter()
    if store == "milvus":
        from assistant.index.milvus_store import MilvusStore

        milvus = MilvusStore.create(milvus_target(work), data.dim)
        for start in range(0, data.n, MILVUS_ADD_BATCH):
            milvus.add(chunks[start : start + MILVUS_ADD_BATCH], vectors[start : start + MILVUS_ADD_BATCH])
        milvus.flush()
        out["build_s"] = time.perf_counter() - started
        milvus.save(work / "generation")
        out["disk_mb"] = {"milvus.db": folder_mb(work / "milvus.db"), "chunks": folder_mb(work / "generation")}
    else:
        dense_seconds = _time_dense_index()
        approximate_above = 0 if store == "faiss-hnsw" else data.n
        faiss_store = store_module.FaissStore.build(chunks, vectors, data.dim, approximate_above)
        out["build_s"] = time.perf_counter() - started
        out["dense_build_s"] = dense_seconds[0]
        out["index"] = type(faiss_store.vectors).__name__
        started = time.perf_counter()
        faiss_store.save(work / "generation")
        out["save_s"] = time.perf_counter() - started
        folder = work / "generation"
        out["disk_mb"] = {
            "vectors": folder_mb(folder / store_module.VECTORS_FILE),
            "bm25": folder_mb(folder / store_module.BM25_DIR),
            "chunks": folder_mb(folder / store_module.CHUNKS_FILE),
        }
    out["build_peak_gb"] = peak_rss_gb()
    return out


def _time_dense_index() -> list[float]:
    """Make FaissStore.build report the seconds its dense index takes (the rest is BM25); return the cell."""
    seconds = [0.0]
    original = store_module.dense_index

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            seconds[0] = time.perf_counter() - started

    store_module.dense_index = timed
    return seconds


def child_serve(store: str, data: synthetic.Synthetic, work: Path, settings: Settings, timed: int) -> dict[str, Any]:
    """Load `store` from `work` and time the first `timed` queries of `data`; return latencies, recall, memory."""
    baseline = rss_gb()
    started = time.perf_counter()
    loaded: Any
    if store == "milvus":
        from assistant.index.milvus_store import MilvusStore

        loaded = MilvusStore.load(work / "generation", milvus_target(work), data.dim)
    else:
        loaded = store_module.FaissStore.load(work / "generation")
    out: dict[str, Any] = {"load_s": time.perf_counter() - started}
    out["serve_rss_gb"] = rss_gb()
    out["serve_rss_over_python_gb"] = rss_gb() - baseline
    queries = np.load(data.queries)[:timed]
    texts = data.query_texts.read_text(encoding="utf-8").splitlines()[:timed]
    truth = np.load(data.truth)[:timed, :K]
    n = settings.candidates
    by_org = Filters(organisations=frozenset({synthetic.ORGANISATIONS[0]}))

    def hybrid(i: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        return fuse(loaded.keyword_search(texts[i], n, filters), loaded.dense_search(queries[i], n, filters), settings)

    searches: dict[str, Callable[[int], list[tuple[int, float]]]] = {
        "dense": lambda i: loaded.dense_search(queries[i], n),
        "keyword": lambda i: loaded.keyword_search(texts[i], n),
        "hybrid": hybrid,
        "hybrid_org": lambda i: hybrid(i, by_org),
        # The document of the query's nearest chunk: ten chunks of a million.
        "hybrid_doc": lambda i: hybrid(i, Filters(sources=frozenset({synthetic.source(int(truth[i, 0]))}))),
    }
    for i in range(min(WARM_UP, len(queries))):
        for search in searches.values():
            search(i)
    tops: dict[str, list[list[int]]] = {}
    for name, search in searches.items():
        latencies, tops[name] = [], []
        for i in range(len(queries)):
            started = time.perf_counter()
            ranked = search(i)
            latencies.append((time.perf_counter() - started) * 1000)
            tops[name].append([row for row, _ in ranked[:K]])
        out[name] = [float(x) for x in np.percentile(latencies, [50, 95])]
    out["queries"] = len(queries)
    out["dense_recall"] = float(np.mean([len(set(t) & set(g)) / K for t, g in zip(tops["dense"], truth, strict=True)]))
    out["tops"] = tops
    out["serve_peak_gb"] = peak_rss_gb()
    return out


# --- the parent: one child per store and step, then the report -------------------------------------------


class Stopped(Exception):
    """A child process ran out of time or memory."""


def run_child(step: str, store: str, n: int, dim: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    result = work / f"{step}.json"
    timed = args.milvus_queries if store == "milvus" else args.queries
    command = [sys.executable, __file__, "--child", step, "--stores", store, "--sizes", str(n), "--dims", str(dim)]
    command += ["--queries", str(args.queries), "--timed-queries", str(timed), "--cache", str(args.cache)]
    command += ["--work", str(work), "--result", str(result)]
    started = time.perf_counter()
    log = work / f"{step}.log"
    with log.open("w") as stderr, subprocess.Popen(command, stdout=stderr, stderr=stderr) as child:
        # Watch the child: this machine has 24 GiB and other work on it, so a run that would swap is stopped.
        while child.poll() is None:
            time.sleep(1)
            reason = ""
            if time.perf_counter() - started > args.timeout:
                reason = f"{step} over {args.timeout} s"
            elif child_rss_gb(child.pid) > args.max_rss_gb:
                reason = f"{step} over {args.max_rss_gb} GB of memory"
            if reason:
                child.kill()
                child.wait()
                raise Stopped(f"{reason} (after {time.perf_counter() - started:.0f} s)")
    if child.returncode != 0:
        raise RuntimeError(f"{step} {store} n={n} dim={dim} failed:\n{log.read_text()[-3000:]}")
    out: dict[str, Any] = json.loads(result.read_text())
    out[f"{step}_wall_s"] = time.perf_counter() - started
    return out


def child_rss_gb(pid: int) -> float:
    with suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1e9
    return 0.0


def measure(store: str, n: int, dim: int, args: argparse.Namespace) -> dict[str, Any]:
    work = args.cache / "work" / f"{store}-n{n}-d{dim}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    result: dict[str, Any] = {"store": store, "n": n, "dim": dim}
    try:
        result.update(run_child("build", store, n, dim, args, work))
        result.update(run_child("serve", store, n, dim, args, work))
        return result
    except Stopped as stopped:
        return {**result, "stopped": str(stopped)}  # with the build's numbers when only serving was stopped
    finally:
        shutil.rmtree(work, ignore_errors=True)


def default_store(n: int) -> str:
    return "faiss-exact" if n <= Settings.approximate_above else "faiss-hnsw"


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| chunks | dim | store | build s (dense index) | disk MB | build peak GB | serve RSS GB "
        "| dense p50 / p95 ms | keyword p50 / p95 ms | hybrid p50 / p95 ms | hybrid, org filter p50 ms "
        "| hybrid, doc filter p50 ms | dense recall@10 | hybrid overlap@10 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        name = r["store"] + (" (default)" if r["store"] == default_store(r["n"]) else "")
        row = f"| {r['n']:,} | {r['dim']} | {name} "
        if "build_s" in r:
            dense_build = f" ({r['dense_build_s']:.1f})" if "dense_build_s" in r else ""
            row += f"| {r['build_s']:.1f}{dense_build} | {sum(r['disk_mb'].values()):,.0f} | {r['build_peak_gb']:.2f} "
        if "stopped" in r:  # after its build (serving was stopped), or before
            lines.append(row + f"| stopped: {r['stopped']} |" + " |" * (7 if "build_s" in r else 10))
            continue
        overlap = r.get("hybrid_overlap")
        lines.append(
            row + f"| {r['serve_rss_gb']:.2f} | {_ms(r['dense'])} | {_ms(r['keyword'])} "
            f"| {_ms(r['hybrid'])} | {r['hybrid_org'][0]:.1f} | {r['hybrid_doc'][0]:.1f} | {r['dense_recall']:.3f} "
            f"| {'-' if overlap is None else f'{overlap:.3f}'} |"
        )
    return "\n".join(lines)


def results_queries(results: list[dict[str, Any]], prefix: str) -> str:
    counts = sorted({r["queries"] for r in results if r["store"].startswith(prefix) and "queries" in r})
    return " or ".join(str(c) for c in counts) or "no"


def _ms(p: list[float]) -> str:
    return f"{p[0]:.1f} / {p[1]:.1f}"


def per_chunk(results: list[dict[str, Any]]) -> str:
    """Return a table of bytes per chunk at the largest size measured, with a 10M extrapolation."""
    lines = [
        "| store | dim | at chunks | vectors file B | BM25 files B | chunk list file B | serve RSS B "
        "| serve RSS at 10M GB (extrapolated) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    largest: dict[tuple[str, int], dict[str, Any]] = {}
    for r in results:
        if "stopped" not in r and r["n"] >= largest.get((r["store"], r["dim"]), {"n": 0})["n"]:
            largest[(r["store"], r["dim"])] = r
    for (store, dim), r in sorted(largest.items()):
        n, disk = r["n"], r["disk_mb"]
        per = r["serve_rss_over_python_gb"] * 1e9 / n
        files = [disk.get("vectors", disk.get("milvus.db", 0.0)), disk.get("bm25"), disk["chunks"]]
        cells = " | ".join("-" if mb is None else f"{mb * 1e6 / n:,.0f}" for mb in files)
        lines.append(f"| {store} | {dim} | {n:,} | {cells} | {per:,.0f} | {per * 1e7 / 1e9:.1f} |")
    return "\n".join(lines)


def headline(results: list[dict[str, Any]]) -> str:
    """Return the hybrid latency of the default FAISS index at the largest size measured."""
    rows = [r for r in results if "stopped" not in r and r["store"] == default_store(r["n"])]
    if not rows:
        return "no FAISS result"
    n = max(r["n"] for r in rows)
    largest = [r for r in rows if r["n"] == n]
    parts = [f"{r['dim']}-d: hybrid p50 {r['hybrid'][0]:.1f} ms, p95 {r['hybrid'][1]:.1f} ms" for r in largest]
    return f"at {n:,} chunks with the default index ({default_store(n)}), " + "; ".join(parts)


def memory_growth(results: list[dict[str, Any]]) -> str:
    """Return a paragraph splitting the FAISS store's memory per chunk into its parts, from the measurements."""
    done = {(r["store"], r["n"], r["dim"]): r for r in results if "stopped" not in r}
    pairs = [(n, dim) for (store, n, dim) in done if store == "faiss-hnsw" and ("faiss-exact", n, dim) in done]
    if not pairs:
        return "(needs both FAISS stores at one size)"
    lines = []
    for n, dim in sorted(pairs, key=lambda p: (p[1], -p[0])):
        if any(m > n for m, d in pairs if d == dim):
            continue
        exact, hnsw = done[("faiss-exact", n, dim)], done[("faiss-hnsw", n, dim)]
        vectors = 4 * dim
        graph = (hnsw["disk_mb"]["vectors"] - exact["disk_mb"]["vectors"]) * 1e6 / n
        bm25 = exact["disk_mb"]["bm25"] * 1e6 / n
        serve = hnsw["serve_rss_over_python_gb"] * 1e9 / n
        chunks = serve - vectors - graph - bm25
        ten_m = serve * 1e7 / 2**30
        build = hnsw["build_peak_gb"] * 1e9 / n
        lines.append(
            f"- {dim}-d, measured at {n:,} chunks: a loaded HNSW store holds {serve:,.0f} B per chunk: the vector "
            f"{vectors:,} B (4 x dim), the HNSW graph {graph:,.0f} B (M = 32: 64 links of 4 B a row on its base "
            f"layer), the "
            f"BM25 postings {bm25:,.0f} B, and the chunk list with its Python objects and lookup tables "
            f"{chunks:,.0f} B (the rest). Building takes {build:,.0f} B per chunk at the peak (the input vectors "
            f"and the tokenized text are held beside the index). Extrapolated, not measured: 10M chunks would "
            f"need about {ten_m:.0f} GiB loaded and {build * 1e7 / 2**30:.0f} GiB to build."
        )
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPU cores ({cpu}), {memory:.0f} GiB RAM, no GPU; load average at the start: {load}"


def report(results: list[dict[str, Any]], command: str, machine_line: str, minutes: float) -> str:
    return f"""# Scale: FAISS (exact and HNSW) and Milvus Lite at 10k to 1M chunks

Reproduce: `{command}` ({minutes:.0f} minutes). Synthetic data from `bench/synthetic.py`; the method is in
the docstring of `bench/scale.py`, the choice of the approximate index in `bench/ann_sweep.py`.

Machine: {machine_line}.

"(default)" marks the index the FAISS store picks at that size: exact up to `approximate_above` =
{Settings.approximate_above:,} chunks, HNSW above. Latencies are one query at a time, before reranking; hybrid is
a dense and a keyword search of 50 candidates each and their fusion. The query embedding (about 12 ms on one
core for MiniLM, docs/retrieval.md) is not included. FAISS is timed on {results_queries(results, "faiss")}
queries, Milvus Lite on {results_queries(results, "milvus")}.

Target: hybrid p50 < 50 ms at 1M chunks on 2 cores with the approximate index. Measured: {headline(results)}.

{table(results)}

## Memory per chunk, and at 10M

Bytes per chunk at the largest size measured: the files on disk, and the resident memory of a process that
has loaded the store (minus the Python process before loading). The last column multiplies that by 10M:
an extrapolation, not a measurement.

{per_chunk(results)}

Memory grows linearly with the number of chunks; what each chunk costs:

{memory_growth(results)}
"""


def _logged_results(log: Path) -> list[dict[str, Any]]:
    """Return the results earlier runs printed to stderr (one JSON object a line); a later line of the same
    store, size and dimension replaces an earlier one."""
    rows: dict[tuple[str, int, int], dict[str, Any]] = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            if {"store", "n", "dim"} <= row.keys():
                rows[(row["store"], row["n"], row["dim"])] = row
    return list(rows.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--dims", type=int, nargs="+", default=[384, 768])
    parser.add_argument("--stores", nargs="+", choices=STORES, default=list(STORES))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/assistant-scale"))
    parser.add_argument(
        "--milvus-max-floats", type=int, default=1_000_000 * 384, help="build Milvus Lite where chunks x dim <= this"
    )
    parser.add_argument("--milvus-queries", type=int, default=50, help="queries timed on Milvus Lite")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds allowed to one child process")
    parser.add_argument("--max-rss-gb", type=float, default=16.0, help="memory allowed to one child process")
    parser.add_argument("--out", type=Path, default=None, help="write the report here (eval/benchmarks/scale.md)")
    parser.add_argument(
        "--merge",
        type=Path,
        help="the stderr log of an earlier run: its results join the report, except those this run measures again",
    )
    parser.add_argument("--child", choices=("build", "serve"), help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--timed-queries", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        data = synthetic.generate(args.sizes[0], args.dims[0], args.queries, args.cache / "data")
        if args.child == "build":
            out = child_build(args.stores[0], data, args.work)
        else:
            settings = load_settings(Path("/nonexistent.toml"), environ={})
            out = child_serve(args.stores[0], data, args.work, settings, args.timed_queries)
        args.result.write_text(json.dumps(out))
        return

    machine_line = machine()
    command = "python bench/scale.py " + " ".join(sys.argv[1:])
    began = time.perf_counter()
    results: list[dict[str, Any]] = []
    for n in args.sizes:
        for dim in args.dims:
            started = time.perf_counter()
            data = synthetic.generate(n, dim, args.queries, args.cache / "data")
            print(f"data n={n:,} dim={dim}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
            exact_tops = None
            for store in args.stores:
                if store == "milvus" and n * dim > args.milvus_max_floats:
                    continue
                result = measure(store, n, dim, args)
                tops = result.pop("tops", None)
                if store == "faiss-exact":
                    exact_tops = tops
                elif tops and exact_tops:
                    pairs = zip(tops["hybrid"], exact_tops["hybrid"], strict=False)  # Milvus times fewer queries
                    result["hybrid_overlap"] = float(np.mean([len(set(a) & set(b)) / K for a, b in pairs]))
                results.append(result)
                print(json.dumps(result), file=sys.stderr, flush=True)
            del data
    if args.merge:
        fresh = {(r["store"], r["n"], r["dim"]) for r in results}
        earlier = [r for r in _logged_results(args.merge) if (r["store"], r["n"], r["dim"]) not in fresh]
        results = sorted(earlier + results, key=lambda r: (r["n"], r["dim"], STORES.index(r["store"])))
        command += f"  (merged with the results logged by an earlier run: {args.merge.name})"
    text = report(results, command, machine_line, (time.perf_counter() - began) / 60)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
