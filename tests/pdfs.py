"""Generators of real PDF files for tests (fpdf2 writes them, pypdf reads them back)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF


def write_pdf(
    path: Path, pages: Sequence[str], header: str = "", footer: str = "", password: str | None = None
) -> Path:
    """Write a PDF with one page per text in `pages`, optional running header/footer and encryption."""
    pdf = FPDF()
    pdf.set_auto_page_break(auto=False)
    for number, text in enumerate(pages, start=1):
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        if header:
            pdf.set_xy(10, 8)
            pdf.cell(0, 6, header)
        pdf.set_xy(10, 20)
        pdf.multi_cell(0, 6, text)
        if footer:
            pdf.set_xy(10, 280)
            pdf.cell(0, 6, f"{footer} {number}")
    if password is not None:
        pdf.set_encryption(owner_password="owner-secret", user_password=password)
    pdf.output(str(path))
    return path


def write_scanned_pdf(
    path: Path,
    pages: Sequence[str],
    text_layers: Sequence[str | None] | None = None,
    dpi: int = 150,
    font: Path | None = None,
) -> Path:
    """Write a PDF whose pages are images of `pages` (as a scanner makes them), with no text layer.

    `text_layers[i]`, when given, is laid invisibly over page i as a bad OCR program would (the text a
    reader extracts), while the image still shows `pages[i]`. `font` (a TTF file) writes other scripts.
    """
    import pypdfium2
    from fpdf.enums import TextMode

    source = path.with_suffix(".born-digital.pdf")
    if font is None:
        write_pdf(source, pages)
    else:
        typeset = FPDF()
        typeset.add_font("page", fname=str(font))
        for text in pages:
            typeset.add_page()
            typeset.set_font("page", size=12)
            typeset.multi_cell(0, 7, text)
        typeset.output(str(source))
    rendered = pypdfium2.PdfDocument(source)
    images = [rendered[i].render(scale=dpi / 72, grayscale=True).to_pil() for i in range(len(pages))]
    rendered.close()
    source.unlink()
    pdf = FPDF()
    pdf.set_auto_page_break(auto=False)
    for i, image in enumerate(images):
        pdf.add_page()
        pdf.image(image, x=0, y=0, w=pdf.w, h=pdf.h)
        layer = text_layers[i] if text_layers else None
        if layer:
            pdf.set_font("Helvetica", size=11)
            pdf.text_mode = TextMode.INVISIBLE
            pdf.set_xy(10, 20)
            pdf.multi_cell(0, 6, layer)
            pdf.text_mode = TextMode.FILL
    pdf.output(str(path))
    return path


def add_pages_and_caption(pdf: FPDF, intro_pages: Sequence[str], caption: str) -> None:
    """Add a page for each of `intro_pages`, then a page opening with `caption` (a table's page)."""
    for text in intro_pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, text)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, caption)


def write_borderless_table_pdf(
    path: Path,
    intro_pages: Sequence[str],
    caption: str,
    header: Sequence[Sequence[str]],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
) -> Path:
    """Write a PDF of `intro_pages`, then a page with `caption` and a table drawn without any rule.

    `header` holds the header's lines (a label on two lines is split over two of them; "" leaves a cell
    empty, and None after a cell widens it over that column, centred: "2019", None over "N", "%"). The
    first cell of a line is left-aligned, the others right-aligned in columns `widths` mm wide, as
    statistical annexes print them.
    """
    pdf = FPDF()
    pdf.set_auto_page_break(auto=False)
    add_pages_and_caption(pdf, intro_pages, caption)
    pdf.ln(3)
    pdf.set_font("Helvetica", size=10)
    for line in [*header, *rows]:
        x = pdf.l_margin
        y = pdf.get_y()
        for index, value in enumerate(line):
            if value is None:
                continue
            span = 1 + next((k for k, v in enumerate(line[index + 1 :]) if v is not None), len(line) - index - 1)
            width = sum(widths[index : index + span])
            align = "L" if index == 0 else ("C" if span > 1 else "R")
            pdf.set_xy(sum(widths[:index]) + x, y)
            pdf.cell(width, 5, value, align=align)
        pdf.set_xy(x, y + 5)
    pdf.output(str(path))
    return path
