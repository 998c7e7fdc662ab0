"""Print the text-layer quality of each page of some PDFs: the run that chose the OCR thresholds.

Usage: python scripts/measure_text_quality.py [PDF or folder ...]   (default: ../shared/library/docs and corpus/)
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

from pypdf import PdfReader

from assistant.ingest.text_quality import text_quality


def main(args: list[str]) -> None:
    roots = [Path(a) for a in args] or [Path("../shared/library/docs"), Path("corpus")]
    pdfs = sorted(p for r in roots for p in ([r] if r.is_file() else r.rglob("*.pdf")))
    print("| file | pages | no text | dictionary min / median | glued max | odd max | failing pages |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for pdf in pdfs:
        qualities = [text_quality(page.extract_text() or "") for page in PdfReader(pdf).pages]
        judged = [q for q in qualities if q.has_text]
        failing = [i for i, q in enumerate(qualities, start=1) if q.has_text and not q.passes]
        dictionary = [q.dictionary for q in judged] or [0.0]
        print(
            f"| {pdf.name[:40]} | {len(qualities)} | {len(qualities) - len(judged)} "
            f"| {min(dictionary):.3f} / {statistics.median(dictionary):.3f} "
            f"| {max((q.glued for q in judged), default=0):.3f} | {max((q.odd for q in judged), default=0):.3f} "
            f"| {_ranges(failing)} |"
        )


def _ranges(pages: list[int]) -> str:
    """Return page numbers as "1-3, 7"."""
    out: list[str] = []
    for page in pages:
        if out and out[-1].split("-")[-1] == str(page - 1):
            out[-1] = f"{out[-1].split('-')[0]}-{page}"
        else:
            out.append(str(page))
    return ", ".join(out) or "-"


if __name__ == "__main__":
    main(sys.argv[1:])
