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
