"""Print the text-layer quality of each PDF of a set, and with --ocr what OCR reads on its failing pages.

Usage: PYTHONPATH=. python scripts/measure_text_quality.py [--ocr] [PDF or folder ...]
(default: ../shared/library/docs and corpus/). The run that chose the thresholds of ingest/text_quality.py.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import pypdfium2
from pypdf import PdfReader

from assistant.ingest import ocr
from assistant.ingest.pdf import prefer_ocr
from assistant.ingest.text_quality import TextQuality, text_quality


def main(args: list[str]) -> None:
    with_ocr = "--ocr" in args
    roots = [Path(a) for a in args if a != "--ocr"] or [Path("../shared/library/docs"), Path("corpus")]
    pdfs = sorted(p for r in roots for p in ([r] if r.is_file() else r.rglob("*.pdf")))
    print("| file | pages | no text | dictionary min / median | glued max | odd max | failing pages |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    readings: list[str] = []
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
        if with_ocr:
            weak = [i for i, q in enumerate(qualities, start=1) if not q.passes]
            readings += _ocr_rows(pdf, weak, qualities)
    if readings:
        print("\n| file | page | text layer: words, dictionary, glued, score | OCR: the same | OCR s | kept |")
        print("| --- | --- | --- | --- | --- | --- |")
        print("\n".join(readings))


def _ocr_rows(pdf: Path, pages: list[int], qualities: list[TextQuality]) -> list[str]:
    """Return a table row per page: the text layer's quality beside OCR's reading of the page image."""
    installed = ocr.installed_languages("tesseract")
    document = pypdfium2.PdfDocument(pdf)
    rows = []
    for page in pages:
        layer = qualities[page - 1]
        started = time.perf_counter()
        image = ocr.render_page(document, page - 1)
        reading = ocr.words_text(ocr.read_page(image, "tesseract", installed, layer.script))
        seconds = time.perf_counter() - started
        read = text_quality(reading)
        kept = "OCR" if prefer_ocr(read, layer) else "text layer"
        rows.append(f"| {pdf.name[:24]} | {page} | {_short(layer)} | {_short(read)} | {seconds:.1f} | {kept} |")
    document.close()
    return rows


def _short(q: TextQuality) -> str:
    return f"{q.words}, {q.dictionary:.3f}, {q.glued:.3f}, {q.score:.3f}"


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
