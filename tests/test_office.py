"""Word files, spreadsheets and CSV on real generated files: their text, tables as rows, and damaged files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from assistant.answering.sentences import units
from assistant.errors import LoadError
from assistant.ingest.chunking import chunk_document
from assistant.ingest.loaders import load_file
from assistant.ingest.sentences import sentence_spans
from assistant.ingest.tables import is_row_line, row_line
from tests.office_files import assert_mangled_bytes_refused, write_docx, write_xlsx, write_zip_bomb_docx

NOTE = "Source: national prosecution statistics, 2020 edition."


def test_docx_keeps_headings_as_sections_tables_as_rows_and_footnotes(tmp_path: Path) -> None:
    [doc] = load_file(write_docx(tmp_path / "report.docx", footnote=NOTE), "report.docx")
    assert doc.kind == "docx" and doc.title == "Smuggling on the Central Mediterranean route"
    lines = doc.text.split("\n")
    assert "Detections at sea" in lines and "Prosecutions" in lines  # headings on lines of their own
    assert "- Fishing boats were the most common vessel." in lines
    assert "Country: Italy | Year: 2019 | Convictions: 311." in lines
    assert "Country: Malta | Year: 2019 | Convictions: 27." in lines
    assert f"[1] {NOTE}" in lines
    # Body order is kept: the table follows the paragraph it belongs to, the footnote comes last.
    assert doc.text.index("charged boat drivers") < doc.text.index("Country: Italy") < doc.text.index(NOTE)

    chunks = chunk_document(doc, max_chars=200)
    by_text = {c.text: c for c in chunks}
    italy = next(c for c in chunks if "Convictions: 311" in c.text)
    assert italy.section == "Prosecutions"
    assert next(c for c in chunks if "charged boat drivers" in c.text).section == "Prosecutions"
    assert all(doc.text[c.start : c.end] == c.text for c in by_text.values())


def test_a_docx_without_footnotes_loads(tmp_path: Path) -> None:
    [doc] = load_file(write_docx(tmp_path / "plain.docx"), "plain.docx")
    assert "Footnotes" not in doc.text and "Malta" in doc.text


def test_a_docx_whose_footnotes_another_writer_made_loads_them(tmp_path: Path) -> None:
    from assistant.briefing.export import markdown_to_docx

    # The briefing export writes footnotes as Word does (part, content type, relationship, reference runs).
    md = "# Smuggling brief\n\n## Routes\n\n- Smugglers moved to the Balkan route.[^1]\n\n[^1]: IOM data, 2019, p. 4.\n"
    path = tmp_path / "brief.docx"
    path.write_bytes(markdown_to_docx(md))
    [doc] = load_file(path, "brief.docx")
    assert doc.text.split("\n\n") == [
        "Smuggling brief",
        "Routes",
        "- Smugglers moved to the Balkan route.",
        "Footnotes",
        "[1] IOM data, 2019, p. 4.",
    ]


def test_merged_cells_of_a_word_table_are_quoted_once(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Arrivals by sea and by land.")
    table = document.add_table(rows=3, cols=3)
    for row, values in zip(
        table.rows, [["Route", "2019", "2020"], ["Sea", "100", "120"], ["Total", "", ""]], strict=True
    ):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    table.cell(2, 1).merge(table.cell(2, 2)).text = "220 over both years"
    document.save(tmp_path / "merged.docx")
    [doc] = load_file(tmp_path / "merged.docx", "merged.docx")
    lines = doc.text.split("\n")
    assert "Route: Sea | 2019: 100 | 2020: 120." in lines
    assert "Route: Total | 2019: 220 over both years." in lines


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda good: good[: len(good) // 2], "damaged Word .docx file (not a readable zip package"),
        (
            lambda good: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096),
            "encrypted or old-format file (an OLE container",
        ),
        (lambda good: b"Meeting notes, typed in a text editor and saved as .docx by mistake.\n", "not a readable zip"),
        (lambda good: _zip_of({"notes.txt": b"hello"}), "not a Word .docx file (the zip holds no word/document.xml)"),
        (
            lambda good: _zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document"}),
            "damaged Word .docx file",
        ),
    ],
    ids=["truncated", "encrypted", "not-a-zip", "other-zip", "broken-xml"],
)
def test_damaged_docx_is_refused_in_one_line(tmp_path: Path, make, fragment: str) -> None:  # type: ignore[no-untyped-def]
    good = write_docx(tmp_path / "good.docx").read_bytes()
    bad = tmp_path / "bad.docx"
    bad.write_bytes(make(good))
    with pytest.raises(LoadError) as raised:
        load_file(bad, "bad.docx")
    assert fragment in str(raised.value) and "\n" not in str(raised.value)


def test_zip_bomb_is_refused_before_unpacking(tmp_path: Path) -> None:
    path = write_zip_bomb_docx(tmp_path / "bomb.docx", unpacked_mb=64)
    assert path.stat().st_size < 2**20  # 64 MB of zeros pack into well under a megabyte
    with pytest.raises(LoadError, match=r"refused Word \.docx file: word/media/image1\.png unpacks \d[\d,]*x"):
        load_file(path, "bomb.docx")


def test_a_zip_that_claims_a_future_zip_version_is_refused(tmp_path: Path) -> None:
    # Found by the .odt fuzz test: zipfile raises NotImplementedError on a central directory entry that needs a
    # zip version it does not know (a damaged byte there), before any member is read.
    data = bytearray(write_docx(tmp_path / "good.docx").read_bytes())
    entry = data.index(b"PK\x01\x02")
    data[entry + 6 : entry + 8] = (202).to_bytes(2, "little")  # "version needed to extract": 20.2
    path = tmp_path / "future.docx"
    path.write_bytes(bytes(data))
    with pytest.raises(LoadError, match=r"damaged Word \.docx file \(not a readable zip package: zip file version"):
        load_file(path, "future.docx")


def test_mangled_docx_bytes_raise_only_load_error(tmp_path: Path) -> None:
    good = write_docx(tmp_path / "good.docx", footnote=NOTE).read_bytes()
    assert_mangled_bytes_refused(good, tmp_path / "mangled.docx", seed=17)


def test_xlsx_sheets_become_sections_of_header_keeping_rows(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "annex.xlsx",
        {
            "Detections": [
                ["Year", "Route", "Detections"],
                [2019, "Central Mediterranean", 14003],
                [2020, None, 35628.0],
            ],
            "Empty": [],
            "Returns": [["Country", "Returned"], ["Albania", 1204]],
        },
    )
    [doc] = load_file(path, "annex.xlsx")
    assert doc.kind == "xlsx" and doc.title == "annex"
    lines = doc.text.split("\n")
    assert "Year: 2019 | Route: Central Mediterranean | Detections: 14003." in lines
    assert "Year: 2020 | Detections: 35628." in lines  # the empty cell is left out, 35628.0 is a whole number
    assert "Country: Albania | Returned: 1204." in lines
    assert "Empty" not in lines
    sections = {c.section for c in chunk_document(doc, max_chars=60) if "Albania" in c.text}
    assert sections == {"Returns"}


def test_csv_with_semicolons_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "arrivals.csv"
    path.write_bytes("Année;Arrivées;Pays\n2019;1 234;Grèce\n2020;2 345;Italie\n".encode("utf-8-sig"))
    [doc] = load_file(path, "arrivals.csv")
    assert doc.text.split("\n") == [
        "Année: 2019 | Arrivées: 1 234 | Pays: Grèce.",
        "Année: 2020 | Arrivées: 2 345 | Pays: Italie.",
    ]


def test_damaged_and_oversized_tables_are_refused(tmp_path: Path) -> None:
    xlsx = tmp_path / "broken.xlsx"
    xlsx.write_bytes(write_xlsx(tmp_path / "ok.xlsx", {"S": [["a", "b"], [1, 2]]}).read_bytes()[:300])
    with pytest.raises(LoadError, match="damaged Excel .xlsx file"):
        load_file(xlsx, "broken.xlsx")
    big = tmp_path / "big.csv"
    big.write_text("Year,Count\n" + "2019,1\n" * 2000)
    with pytest.raises(LoadError, match="too long"):
        load_file(big, "big.csv", max_chars=5000)
    blank = tmp_path / "blank.csv"
    blank.write_text(",,\n,,\n")
    with pytest.raises(LoadError, match="CSV file has no rows"):
        load_file(blank, "blank.csv")


def test_a_row_line_is_one_sentence_whatever_its_cells_hold() -> None:
    line = row_line(["Agency", "No.", "Note"], ["U.S. Border Patrol", "No. 5", "Apprehensions rose. Returns fell"])
    assert line == "Agency: U.S. Border Patrol | No.: No. 5 | Note: Apprehensions rose. Returns fell."
    assert is_row_line(line)
    text = f"Intro sentence. Second one.\n{line}"
    assert [text[s:e] for s, e in sentence_spans(text)] == ["Intro sentence.", "Second one.", line]
    # The answerer's quotable units (answering/sentences.py) keep the row whole too.
    assert [u.text for u in units(text)][-1] == line
    # Ordinary prose with a pipe is not a row.
    assert not is_row_line("Home | About us") and not is_row_line("Ratio: 3 to 1.")
    # A colophon with pipes (shared/library e03) is prose: it does not end as a row line does.
    assert not is_row_line("Postbus 20301 | 2500 eh Den Haag | Publicatienr: j-0000 Published by:")


def _zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for name, data in members.items():
            package.writestr(name, data)
    return out.getvalue()
