"""Generators of real office files for tests: Word files (python-docx, with a footnotes part added as Word
writes it), spreadsheets (openpyxl), a PDF holding a ruled table (fpdf2), and damaged variants."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF

FOOTNOTES_XML = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:footnotes xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>
<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>
<w:footnote w:id="1"><w:p><w:r><w:t xml:space="preserve">{note}</w:t></w:r></w:p></w:footnote>
</w:footnotes>"""
_FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
_FOOTNOTES_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"

APPREHENSIONS = [
    ["Year", "Apprehensions", "Returns"],
    ["2017", "812", "301"],
    ["2018", "1,005", "356"],
    ["2019", "1,234", "402"],
    ["2020", "967", "388"],
]


def write_docx(path: Path, footnote: str = "") -> Path:
    """Write a Word report: a title, a heading, paragraphs, a bullet, a table and (optionally) one footnote."""
    import docx

    document = docx.Document()
    document.core_properties.title = "Smuggling on the Central Mediterranean route"
    document.add_heading("Smuggling on the Central Mediterranean route", 0)
    document.add_heading("Detections at sea", 1)
    document.add_paragraph(
        "Coast guards detected more smuggling boats in 2019 than in any earlier year. "
        "Most departures were from Libya and Tunisia."
    )
    document.add_paragraph("Fishing boats were the most common vessel.", style="List Bullet")
    document.add_heading("Prosecutions", 1)
    document.add_paragraph("Prosecutors charged boat drivers far more often than the organisers of the crossings.")
    values = [["Country", "Year", "Convictions"], ["Italy", "2019", "311"], ["Malta", "2019", "27"]]
    table = document.add_table(rows=3, cols=3)
    for row, row_values in zip(table.rows, values, strict=True):
        for cell, value in zip(row.cells, row_values, strict=True):
            cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    raw = _with_footnote(buffer.getvalue(), footnote) if footnote else buffer.getvalue()
    path.write_bytes(raw)
    return path


def _with_footnote(raw: bytes, note: str) -> bytes:
    """Return the .docx `raw` with a footnotes part, its content type and its relationship, as Word writes them."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                override = f'<Override PartName="/word/footnotes.xml" ContentType="{_FOOTNOTES_TYPE}"/>'
                data = data.replace(b"</Types>", override.encode() + b"</Types>")
            elif item.filename == "word/_rels/document.xml.rels":
                rel = f'<Relationship Id="rIdFootnotes" Type="{_FOOTNOTES_REL}" Target="footnotes.xml"/>'
                data = data.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
            target.writestr(item, data)
        target.writestr("word/footnotes.xml", FOOTNOTES_XML.format(note=note))
    return out.getvalue()


def write_zip_bomb_docx(path: Path, unpacked_mb: int = 64) -> Path:
    """Write a .docx whose package holds a part of `unpacked_mb` MB of zeros (it packs to a few dozen KB)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "<w:document/>")
        package.writestr("word/media/image1.png", bytes(unpacked_mb * 2**20))
    return path


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
    """Write a workbook with one sheet per entry of `sheets` (name -> rows, header first)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    book.save(path)
    return path


def write_table_pdf(path: Path, intro_pages: Sequence[str], caption: str, rows: Sequence[Sequence[str]]) -> Path:
    """Write a PDF whose pages hold `intro_pages`, then a last page with `caption` and a ruled table of `rows`."""
    pdf = FPDF()
    for text in intro_pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, text)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, caption)
    pdf.ln(4)
    with pdf.table() as table:
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(value)
    pdf.output(str(path))
    return path
