"""Measure the source panel's page view on real PDFs: are the quotes placed on their page, and how fast.

Usage: .venv/bin/python bench/page_view.py [--docs shared/library/docs] [--per-file 15] [--seed 3]

From each PDF (read by the real loader, chunked by the real chunker), `--per-file` random chunks; from
each, one random sentence, searched the way the panel searches a citation (ui/sources.quote_pages: from
the page the sentence starts on, as its citation names it). A sentence is "placed" when it gets a
highlight, "on its page" when that page is the one the loader put the sentence on. Timings: the first
view of a page (rendered) and the same view again (the PNG from the cache). Prints a markdown table;
the numbers are quoted in docs/ui.md.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant.errors import LoadError  # noqa: E402
from assistant.ingest.chunking import chunk_document  # noqa: E402
from assistant.ingest.loaders import load_file  # noqa: E402
from assistant.output.page_view import page_view  # noqa: E402
from assistant.ui.sources import quote_pages  # noqa: E402

SENTENCE = re.compile(r"[^.!?\n]{40,}[.!?]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=REPO / "shared" / "library" / "docs")
    parser.add_argument("--per-file", type=int, default=15)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    pick = random.Random(args.seed)
    cache = Path(tempfile.mkdtemp(prefix="page-view-bench-"))
    print("| file | sentences | placed | on its page |\n|---|---:|---:|---:|")
    totals = [0, 0, 0]
    first_ms: list[float] = []
    again_ms: list[float] = []
    for pdf in sorted(args.docs.glob("*.pdf")):
        try:
            (document,) = load_file(pdf, pdf.name)
        except LoadError as exc:
            print(f"| {pdf.name} | skipped: {exc} | | |")
            continue
        chunks = [c for c in chunk_document(document) if c.page]
        counts = [0, 0, 0]
        for chunk in pick.sample(chunks, min(args.per_file, len(chunks))):
            sentences = list(SENTENCE.finditer(chunk.text))
            if not sentences:
                continue
            found = pick.choice(sentences)
            quote, page = found.group(0).strip(), document.page_at(chunk.start + found.start())
            pages = quote_pages(chunk, found.start(), found.end())
            start = time.perf_counter()
            view = page_view(pdf, pages, quote, cache)
            first_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            page_view(pdf, pages, quote, cache)
            again_ms.append((time.perf_counter() - start) * 1000)
            counts[0] += 1
            counts[1] += bool(view.boxes)
            counts[2] += bool(view.boxes) and view.page == page
        totals = [t + c for t, c in zip(totals, counts, strict=True)]
        print(f"| {pdf.name} | {counts[0]} | {counts[1]} | {counts[2]} |")
    print(f"| **all** | **{totals[0]}** | **{totals[1]}** | **{totals[2]}** |")
    if first_ms:
        print(
            f"\nA view: median {statistics.median(first_ms):.0f} ms the first time (page rendered), "
            f"{statistics.median(again_ms):.0f} ms from the cache; slowest {max(first_ms):.0f} ms."
        )


if __name__ == "__main__":
    main()
