"""Generators of real office files for tests: Word files (python-docx, with a footnotes part added as Word
writes it), OpenDocument texts (odfdo), spreadsheets (openpyxl), a PDF holding a ruled table (fpdf2), and damaged
variants."""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fpdf import FPDF

from tests.pdfs import add_pages_and_caption

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


SEIZURES = [["Country", "Year", "Boats seized"], ["Greece", "2021", "148"], ["Cyprus", "2021", "36"]]


def write_odt(path: Path, footnote: str = "", endnote: str = "") -> Path:
    """Write an OpenDocument report: a title, headings, paragraphs, a nested list, a table whose first row is a
    header row, and (optionally) one footnote and one endnote, as LibreOffice lays them out."""
    from odfdo import Column, Document, Header, HeaderRows, List, ListItem, Note, Paragraph, Table

    document = Document("text")
    document.body.clear()
    document.meta.title = "Smuggling on the Eastern Mediterranean route"
    body = document.body
    body.append(Paragraph("Smuggling on the Eastern Mediterranean route", style="Title"))
    body.append(Header(1, "Crossings by sea:"))
    crossings = Paragraph("Coast guards rescued more people at sea in 2021 than in any earlier year.")
    if footnote:
        crossings.append(Note(note_class="footnote", note_id="ftn1", citation="1", body=footnote))
    crossings.append(" Most boats left from the Turkish coast.")
    body.append(crossings)
    vessels = List(["Rubber dinghies were the most common vessel."])
    sailing = ListItem("Sailing yachts carried the most people per boat.")
    sailing.append(List(["Some yachts were stolen from marinas."]))
    vessels.append(sailing)
    body.append(vessels)
    body.append(Header(2, "Seizures"))
    seizures = Paragraph("Port authorities seized boats that smugglers had bought for the crossings.")
    if endnote:
        seizures.append(Note(note_class="endnote", note_id="edn1", citation="i", body=endnote))
    body.append(seizures)
    # LibreOffice keeps a table's heading row (repeated on each page) in <table:table-header-rows>.
    table = Table("Seizures")
    table.append(Column(repeated=len(SEIZURES[0])))
    header_rows = HeaderRows()
    header_rows.append(odt_row(SEIZURES[0]))
    table.append(header_rows)
    for values in SEIZURES[1:]:
        table.append(odt_row(values))
    body.append(table)
    document.save(path)
    return path


# The manifest entry LibreOffice writes for a part saved with a password (AES-256, key from PBKDF2).
_ENCRYPTION_DATA = (
    '<manifest:encryption-data manifest:checksum-type="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k"'
    ' manifest:checksum="cPiXS0tJtI0Pk1ptp6n0uSb4XBcb2Y5yZCzEr0TzLSs=">'
    '<manifest:algorithm manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc"'
    ' manifest:initialisation-vector="mF5Kd8n2YtI0n0cN3W6ZbA=="/>'
    '<manifest:start-key-generation manifest:start-key-generation-name="http://www.w3.org/2000/09/xmldsig#sha256"'
    ' manifest:key-size="32"/>'
    '<manifest:key-derivation manifest:key-derivation-name="PBKDF2" manifest:key-size="32"'
    ' manifest:iteration-count="100000" manifest:salt="3v3Yw8m1u2cQe2Gf9dD4xw=="/>'
    "</manifest:encryption-data>"
)
_MANIFEST_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
)


def encrypted_odt(raw: bytes) -> bytes:
    """Return the .odt `raw` as LibreOffice saves it with a password: content.xml unreadable, its manifest entry
    holding the key's recipe. The ciphertext is random bytes: the loader refuses on the manifest, before any part."""
    members = _members(raw)
    manifest = members["META-INF/manifest.xml"].decode()
    entry = '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    assert entry in manifest
    members["META-INF/manifest.xml"] = manifest.replace(
        entry, entry[:-2] + ">" + _ENCRYPTION_DATA + "</manifest:file-entry>"
    ).encode()
    members["content.xml"] = random.Random(5).randbytes(len(members["content.xml"]))
    return zip_of(members)


def wholly_encrypted_odt() -> bytes:
    """Return an .odt encrypted whole, as ODF 1.3 allows: no content.xml, one encrypted-package part."""
    manifest = (
        _MANIFEST_OPEN + '<manifest:file-entry manifest:full-path="encrypted-package" '
        'manifest:media-type="application/octet-stream">'
        + _ENCRYPTION_DATA
        + "</manifest:file-entry></manifest:manifest>"
    )
    return zip_of(
        {
            "mimetype": b"application/vnd.oasis.opendocument.text",
            "META-INF/manifest.xml": manifest.encode(),
            "encrypted-package": random.Random(6).randbytes(4096),
        }
    )


def write_zip_bomb_odt(path: Path, unpacked_mb: int = 64) -> Path:
    """Write an .odt whose package holds a picture of `unpacked_mb` MB of zeros (it packs to a few dozen KB)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        package.writestr("META-INF/manifest.xml", _MANIFEST_OPEN + "</manifest:manifest>")
        package.writestr("content.xml", "<office:document-content/>")
        package.writestr("Pictures/image1.png", bytes(unpacked_mb * 2**20))
    return path


def with_member(raw: bytes, name: str, data: bytes) -> bytes:
    """Return the zip package `raw` with its member `name` replaced by (or set to) `data`."""
    members = _members(raw)
    members[name] = data
    return zip_of(members)


def zip_of(members: dict[str, bytes]) -> bytes:
    """Return a zip package holding `members` (name -> bytes), compressed as office files are."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in members.items():
            package.writestr(name, data)
    return out.getvalue()


def _members(raw: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(raw)) as package:
        return {name: package.read(name) for name in package.namelist()}


def odt_row(values: Sequence[str]) -> Any:
    """Return an OpenDocument table row of text cells."""
    from odfdo import Cell, Row

    row = Row()
    for value in values:
        row.append(Cell(value))
    return row


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
    add_pages_and_caption(pdf, intro_pages, caption)
    pdf.ln(4)
    with pdf.table() as table:
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(value)
    pdf.output(str(path))
    return path


def assert_mangled_bytes_refused(good: bytes, path: Path, seed: int) -> None:
    """Damage `good` (a valid office file) at random 60 times: each load refuses it in one line or reads text."""
    from assistant.errors import LoadError
    from assistant.ingest.loaders import load_file

    rng = random.Random(seed)
    for _ in range(60):
        data = bytearray(good)
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data))
        try:
            [doc] = load_file(path, path.name)
        except LoadError as exc:
            assert str(exc) and "\n" not in str(exc)
        else:
            assert doc.text.strip()
