"""Chunk-size study: evidence recall@1/@5 on the seed corpus and eval set for several chunkings.

Usage: nice -n 10 .venv/bin/python bench/chunk_study.py [--sizes 400 600 800 1000] [--overlaps 0 1]
       [--mode hybrid+rerank] [--out docs/chunk_study.md]

A retrieved chunk holds an evidence quote when the whitespace- and case-normalised quote occurs in it,
or when it overlaps at least half of the quote's span in the document (a chunk boundary may cut it).
Each configuration is ingested into a temporary index; docs/chunking.md records the results.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant.config import RETRIEVAL_MODES, load_settings  # noqa: E402
from assistant.ingest.catalog import load_catalog  # noqa: E402
from assistant.ingest.loaders import load_file  # noqa: E402
from assistant.ingest.update import ingest  # noqa: E402
from assistant.retrieval.retrieve import Retriever  # noqa: E402
from assistant.types import Chunk, Document  # noqa: E402

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Evidence:
    doc_id: str
    start: int  # span of the quote in the document text; -1 when the quote was not found
    end: int
    quote: str  # normalised


def normalise(text: str) -> str:
    return _SPACE.sub(" ", text).strip().lower()


def _normalised_with_offsets(text: str) -> tuple[str, list[int]]:
    """Return normalise(text) and, for each of its characters, the offset it came from."""
    out: list[str] = []
    offsets: list[int] = []
    pending_space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            pending_space = bool(out)
            continue
        if pending_space:
            out.append(" ")
            offsets.append(i - 1)
            pending_space = False
        out.append(ch.lower())
        offsets.append(i)
    return "".join(out), offsets


def locate(quote: str, source: str, documents: list[Document]) -> Evidence:
    """Return where `quote` lies among the documents of `source` (offsets into the document text)."""
    wanted = normalise(quote)
    for doc in documents:
        if doc.source != source:
            continue
        norm, offsets = _normalised_with_offsets(doc.text)
        at = norm.find(wanted)
        if at >= 0:
            return Evidence(doc.id, offsets[at], offsets[at + len(wanted) - 1] + 1, wanted)
    return Evidence("", -1, -1, wanted)


def holds(chunk: Chunk, evidence: Evidence) -> bool:
    if evidence.quote in normalise(chunk.text):
        return True
    if chunk.doc_id != evidence.doc_id or evidence.start < 0:
        return False
    overlap = min(chunk.end, evidence.end) - max(chunk.start, evidence.start)
    return overlap >= 0.5 * (evidence.end - evidence.start)


def load_documents(corpus: Path) -> list[Document]:
    catalog = load_catalog(corpus)
    documents: list[Document] = []
    for path in sorted(corpus.iterdir()):
        if path.is_file() and path.suffix.lower() in {".txt", ".md", ".pdf", ".html", ".htm"}:
            documents.extend(load_file(path, path.name, catalog.get(path.name)))
    return documents


def study(sizes: list[int], overlaps: list[int], mode: str, dataset: Path, corpus: Path) -> list[dict[str, float]]:
    """Return one row per (size, overlap): chunks, evidence recall@1/@5/@10 and mean chunk length."""
    documents = load_documents(corpus)
    questions = [json.loads(line) for line in dataset.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [q for q in questions if q.get("answerable") and q.get("evidence")]
    evidence = {q["id"]: [locate(e["quote"], e["source"], documents) for e in q["evidence"]] for q in questions}
    missing = [(qid, e.quote[:60]) for qid, items in evidence.items() for e in items if e.start < 0]
    for qid, quote in missing:
        print(f"note: {qid}: quote not found verbatim in its source: {quote!r}", file=sys.stderr)
    rows = []
    for size in sizes:
        for overlap in overlaps:
            with tempfile.TemporaryDirectory() as tmp:
                settings = load_settings(
                    Path("/nonexistent.toml"),
                    environ={},
                    corpus_dir=corpus,
                    index_dir=Path(tmp),
                    chunk_max_chars=size,
                    chunk_overlap_sentences=overlap,
                )
                ingest(settings)
                retriever = Retriever.from_settings(settings)
                recall = {1: 0.0, 5: 0.0, 10: 0.0}
                for q in questions:
                    hits = retriever.search(q["question"], k=10, mode=mode).hits
                    for k in recall:
                        held = [any(holds(h.chunk, e) for h in hits[:k]) for e in evidence[q["id"]]]
                        recall[k] += sum(held) / len(held)
                chunks = retriever.index.store.chunks
                rows.append(
                    {
                        "max_chars": size,
                        "overlap": overlap,
                        "chunks": len(chunks),
                        "mean_chars": sum(len(c.text) for c in chunks) / len(chunks),
                        **{f"recall@{k}": v / len(questions) for k, v in recall.items()},
                    }
                )
            print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


def markdown(rows: list[dict[str, float]], mode: str, questions: int) -> str:
    lines = [
        f"Evidence recall on eval/questions.jsonl ({questions} answerable questions with evidence), mode `{mode}`.",
        "",
        "| max_chars | overlap (sentences) | chunks | mean chars | recall@1 | recall@5 | recall@10 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['max_chars']} | {r['overlap']} | {r['chunks']} | {r['mean_chars']:.0f} | "
            f"{r['recall@1']:.3f} | {r['recall@5']:.3f} | {r['recall@10']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[400, 600, 800, 1000])
    parser.add_argument("--overlaps", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--mode", choices=RETRIEVAL_MODES, default="hybrid+rerank")
    parser.add_argument("--dataset", type=Path, default=REPO / "eval" / "questions.jsonl")
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus")
    parser.add_argument("--out", type=Path, default=None, help="also write the Markdown table here")
    args = parser.parse_args()
    started = time.perf_counter()
    rows = study(args.sizes, args.overlaps, args.mode, args.dataset, args.corpus)
    questions = sum(
        1
        for line in args.dataset.read_text(encoding="utf-8").splitlines()
        if line.strip() and json.loads(line).get("answerable") and json.loads(line).get("evidence")
    )
    table = markdown(rows, args.mode, questions)
    print(table)
    print(f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    if args.out:
        args.out.write_text(table, encoding="utf-8")


if __name__ == "__main__":
    main()
