"""What the PDF table steps cost and find: pages screened, pdfplumber's seconds a page, tables kept, rows.

Usage: .venv/bin/python bench/pdf_tables.py [--rows N] [PDF ...]   (default: every PDF of shared/library/docs)

For each PDF: pages; the ruled step's candidates (lines of numbers in pypdf's text, and rules drawn both
ways in the content stream) and the tables it keeps; the borderless step's cheap test (its seconds over
all pages), the pages it passes, pdfplumber's seconds a page there (words and reading), the tables read
and their row lines; and the whole load time (loaders.load_file, best of two) with no table step, with
the ruled step alone (the loader before borderless tables) and with both.
Prints a markdown table and, with --rows, the first row lines of each table page.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pdfplumber  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from assistant.errors import LoadError  # noqa: E402
from assistant.ingest import pdf_tables  # noqa: E402
from assistant.ingest.loaders import load_file  # noqa: E402
from assistant.ingest.pdf_borderless import borderless_tables  # noqa: E402
from assistant.ingest.pdf_tables import _content, _page_tables, has_rules, looks_tabular  # noqa: E402
from assistant.ingest.pdf_words import looks_borderless, page_words  # noqa: E402
from assistant.ingest.tables import is_row_line  # noqa: E402


def measure(path: Path, show_rows: int) -> str:
    """Return the markdown row of one PDF (and print row lines of its tables when asked)."""
    reader = PdfReader(path)
    texts = [page.extract_text() or "" for page in reader.pages]
    ruled = [i for i, text in enumerate(texts) if looks_tabular(text) and has_rules(_content(reader, i))]
    started = time.perf_counter()
    triggered = [i for i, text in enumerate(texts) if looks_borderless(text)]
    test_seconds = time.perf_counter() - started
    kept = tables = rows = 0
    started = time.perf_counter()
    with pdfplumber.open(path) as pdf:
        kept = sum(len(_page_tables(pdf.pages[i])) for i in ruled)
        for i in triggered:
            found = borderless_tables(page_words(pdf.pages[i]))
            tables += len(found)
            rows += sum(1 for table in found for line in table.lines if is_row_line(line))
            for table in found:
                for line in table.lines[:show_rows]:
                    print(f"    {path.name[:3]} p{i + 1}: {line}")
    per_page = (time.perf_counter() - started) / len(triggered) if triggered else 0.0
    loads = []
    for ruled_test, borderless_test in ((_never, _never), (looks_tabular, _never), (looks_tabular, looks_borderless)):
        loads.append(_load_seconds(path, ruled_test, borderless_test))
    times = " | ".join("failed" if s is None else f"{s:.2f}" for s in loads)
    return (
        f"| {path.name[:40]} | {len(texts)} | {len(ruled)} | {kept} | {test_seconds:.3f} | {len(triggered)} "
        f"| {per_page:.2f} | {tables} | {rows} | {times} |"
    )


def _never(_text: str) -> bool:
    return False


def _load_seconds(
    path: Path, ruled_test: Callable[[str], bool], borderless_test: Callable[[str], bool]
) -> float | None:
    """Return the best of two load times of `path` with the table steps' page tests replaced."""
    saved = pdf_tables.looks_tabular, pdf_tables.looks_borderless
    pdf_tables.looks_tabular, pdf_tables.looks_borderless = ruled_test, borderless_test  # type: ignore[assignment]
    try:
        best = float("inf")
        for _ in range(2):
            started = time.perf_counter()
            load_file(path, path.name)
            best = min(best, time.perf_counter() - started)
        return best
    except LoadError:
        return None
    finally:
        pdf_tables.looks_tabular, pdf_tables.looks_borderless = saved  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pdfs", nargs="*", type=Path)
    parser.add_argument("--rows", type=int, default=0, help="print this many row lines of each table")
    args = parser.parse_args()
    paths = args.pdfs or sorted((REPO / "shared" / "library" / "docs").glob("*.pdf"))
    lines = []
    for path in paths:
        lines.append(measure(path, args.rows))
        print(lines[-1], flush=True)
    print(
        "| PDF | pages | ruled: candidates | kept | borderless: test s | pages | pdfplumber s/page | tables "
        "| row lines | load s: no tables | ruled only | both |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
