"""What the PDF table step costs and finds: pages screened, pdfplumber's seconds a page, tables kept, rows.

Usage: .venv/bin/python bench/pdf_tables.py [PDF ...]   (default: every PDF of shared/library/docs)

For each PDF: pages, pages that pass the cheap tests (lines of numbers in pypdf's text; and rules drawn
both ways in the content stream), pdfplumber's seconds per page on those pages, tables found and tables
kept (a header row of labels, mostly filled cells), and the whole load time with and without the step.
Prints a markdown table and, with --rows, a few row lines of each file.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pdfplumber  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from assistant.errors import LoadError  # noqa: E402
from assistant.ingest import pdf as pdf_loader  # noqa: E402
from assistant.ingest.catalog import CatalogEntry  # noqa: E402
from assistant.ingest.pdf_tables import _content, _page_tables, has_rules, looks_tabular  # noqa: E402
from assistant.ingest.tables import is_row_line  # noqa: E402


def measure(path: Path, show_rows: int) -> str:
    """Return the markdown row of one PDF (and print its first row lines when asked)."""
    raw = path.read_bytes()
    reader = PdfReader(path)
    texts = [page.extract_text() or "" for page in reader.pages]
    numeric = [i for i, text in enumerate(texts) if looks_tabular(text)]
    tabular = [i for i in numeric if has_rules(_content(reader, i))]
    found = kept = 0
    started = time.perf_counter()
    with pdfplumber.open(path) as pdf:
        for i in tabular:
            found += len(pdf.pages[i].find_tables())
            kept += len(_page_tables(pdf.pages[i]))
    per_page = (time.perf_counter() - started) / (2 * len(tabular)) if tabular else 0.0  # each page searched twice

    cheap = f"| {path.name[:40]} | {len(texts)} | {len(numeric)} | {len(tabular)} | {per_page:.3f} | {found} | {kept}"
    started = time.perf_counter()
    try:
        document = pdf_loader.load_pdf(raw, path.name, CatalogEntry())
    except LoadError as exc:
        return f"{cheap} | ({exc}) | | |"
    with_step = time.perf_counter() - started
    original = pdf_loader.with_table_rows
    pdf_loader.with_table_rows = lambda raw, reader, pages: list(pages)  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        pdf_loader.load_pdf(raw, path.name, CatalogEntry())
        without = time.perf_counter() - started
    finally:
        pdf_loader.with_table_rows = original  # type: ignore[assignment]
    rows = [line for line in document.text.split("\n") if is_row_line(line)]
    for line in rows[:show_rows]:
        print(f"    {path.name[:3]} p{document.page_at(document.text.index(line))}: {line}")
    return f"{cheap} | {len(rows)} | {without:.2f} | {with_step:.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pdfs", nargs="*", type=Path)
    parser.add_argument("--rows", type=int, default=0, help="print this many row lines of each file")
    args = parser.parse_args()
    paths = args.pdfs or sorted((REPO / "shared" / "library" / "docs").glob("*.pdf"))
    lines = []
    for path in paths:
        lines.append(measure(path, args.rows))
        print(lines[-1], flush=True)
    print(
        "| PDF | pages | numeric lines | and rules | pdfplumber s/page | tables found | kept | row lines "
        "| load s without | with |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
