"""OpenDocument texts (.odt) on real files made with odfdo: laid out as a .docx is, damaged files refused in one
line, and a question answered from an indexed .odt citing it."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from assistant.errors import LoadError
from assistant.ingest.chunking import chunk_document
from assistant.ingest.loaders import load_file
from assistant.ingest.update import ingest
from assistant.pipeline import Assistant
from tests.conftest import CORPUS
from tests.office_files import (
    assert_mangled_bytes_refused,
    encrypted_odt,
    odt_row,
    wholly_encrypted_odt,
    with_member,
    write_docx,
    write_odt,
    write_zip_bomb_odt,
    zip_of,
)

FOOTNOTE = "Source: Hellenic Coast Guard statistics, 2022 edition."
ENDNOTE = "Figures for 2021 are provisional."


def test_odt_keeps_headings_as_sections_lists_tables_as_rows_and_notes(tmp_path: Path) -> None:
    [doc] = load_file(write_odt(tmp_path / "report.odt", FOOTNOTE, ENDNOTE), "report.odt")
    assert doc.kind == "odt" and doc.title == "Smuggling on the Eastern Mediterranean route"  # from meta.xml
    blocks = doc.text.split("\n\n")
    # The Title paragraph and the headings are lines of their own, without closing punctuation ("Crossings by sea:").
    assert blocks[:2] == ["Smuggling on the Eastern Mediterranean route", "Crossings by sea"]
    # The footnote leaves the paragraph it is anchored in; the text on either side of it joins up.
    assert blocks[2] == (
        "Coast guards rescued more people at sea in 2021 than in any earlier year. "
        "Most boats left from the Turkish coast."
    )
    lines = doc.text.split("\n")
    assert "- Rubber dinghies were the most common vessel." in lines
    assert "- Some yachts were stolen from marinas." in lines  # a nested list is a bullet too
    assert "Country: Greece | Year: 2021 | Boats seized: 148." in lines  # the header row names each value
    assert "Country: Cyprus | Year: 2021 | Boats seized: 36." in lines
    assert blocks[-4:] == ["Footnotes", f"[1] {FOOTNOTE}", "Endnotes", f"[1] {ENDNOTE}"]
    assert doc.text.index("seized boats") < doc.text.index("Country: Greece") < doc.text.index(FOOTNOTE)

    chunks = chunk_document(doc, max_chars=200)
    assert next(c for c in chunks if "Boats seized: 36" in c.text).section == "Seizures"
    assert next(c for c in chunks if "Rubber dinghies" in c.text).section == "Crossings by sea"
    assert all(doc.text[c.start : c.end] == c.text for c in chunks)


def test_an_odt_reads_as_the_same_report_in_word_does(tmp_path: Path) -> None:
    """The .docx generator's report, written again in LibreOffice's format, gives the same text."""
    from odfdo import Column, Document, Header, List, Note, Paragraph, Table

    note = "Source: national prosecution statistics."
    document = Document("text")
    document.body.clear()
    document.meta.title = "Smuggling on the Central Mediterranean route"
    body = document.body
    body.append(Paragraph("Smuggling on the Central Mediterranean route", style="Title"))
    body.append(Header(1, "Detections at sea"))
    body.append(
        Paragraph(
            "Coast guards detected more smuggling boats in 2019 than in any earlier year. "
            "Most departures were from Libya and Tunisia."
        )
    )
    body.append(List(["Fishing boats were the most common vessel."]))
    body.append(Header(1, "Prosecutions"))
    charged = Paragraph("Prosecutors charged boat drivers far more often than the organisers of the crossings.")
    charged.append(Note(note_class="footnote", note_id="ftn1", citation="1", body=note))
    body.append(charged)
    table = Table("Convictions")
    table.append(Column(repeated=3))
    for values in (["Country", "Year", "Convictions"], ["Italy", "2019", "311"], ["Malta", "2019", "27"]):
        table.append(odt_row(values))
    body.append(table)
    document.save(tmp_path / "report.odt")

    [odt] = load_file(tmp_path / "report.odt", "report.odt")
    [docx] = load_file(write_docx(tmp_path / "report.docx", footnote=note), "report.docx")
    assert odt.text == docx.text and odt.title == docx.title
    sections = [(c.section, c.text) for c in chunk_document(odt, max_chars=200)]
    assert sections == [(c.section, c.text) for c in chunk_document(docx, max_chars=200)]


def test_merged_and_repeated_cells_of_an_odt_table(tmp_path: Path) -> None:
    from odfdo import Document, Paragraph, Table

    document = Document("text")
    document.body.clear()
    document.body.append(Paragraph("Arrivals by sea and by land."))
    table = Table("Arrivals", width=3, height=4)
    table.set_values([["Route", "2019", "2020"], ["Sea", "100", "120"], ["", "80", "90"], ["Total", "220", ""]])
    table.set_span((0, 1, 0, 2))  # "Sea" merged down two rows: both rows keep the label, as Word's do
    table.set_span((1, 3, 2, 3))  # "220" merged across two columns: quoted once
    document.body.append(table)
    document.save(tmp_path / "merged.odt")
    [doc] = load_file(tmp_path / "merged.odt", "merged.odt")
    assert doc.title == "Arrivals by sea and by land."  # no title in meta.xml: the first line, as for any file
    lines = doc.text.split("\n")
    assert lines[-3:] == [
        "Route: Sea | 2019: 100 | 2020: 120.",
        "Route: Sea | 2019: 80 | 2020: 90.",
        "Route: Total | 2019: 220.",
    ]


def test_repeat_counts_cannot_blow_a_small_file_up(tmp_path: Path) -> None:
    good = write_odt(tmp_path / "good.odt").read_bytes()
    with zipfile.ZipFile(tmp_path / "good.odt") as package:
        content = package.read("content.xml").decode()
    row = (
        '<table:table-row table:number-rows-repeated="1000000000">'
        '<table:table-cell table:number-columns-repeated="1000000000"><text:p>x</text:p></table:table-cell>'
        "</table:table-row>"
    )
    huge = content.replace("<text:p>Greece</text:p>", '<text:p>Greece<text:s text:c="2000000000"/>.</text:p>', 1)
    huge = huge.replace("</table:table>", row + "</table:table>", 1)
    path = tmp_path / "repeats.odt"
    path.write_bytes(with_member(good, "content.xml", huge.encode()))
    with pytest.raises(LoadError, match=r"too long \(over 100,000 characters"):
        load_file(path, "repeats.odt", max_chars=100_000)
    [doc] = load_file(path, "repeats.odt", max_chars=5_000_000)  # 1,000 rows of 1,000 cells at most: 4 MB
    assert "Country: Greece . | Year: 2021 | Boats seized: 148." in doc.text.split("\n")


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda good: good[: len(good) // 2], "damaged OpenDocument .odt file (not a readable zip package"),
        (
            lambda good: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096),
            "encrypted or old-format file (an OLE container, not an OpenDocument .odt package)",
        ),
        (lambda good: b"Minutes typed in a text editor and saved as .odt by mistake.\n", "not a readable zip"),
        (lambda good: zip_of({"notes.txt": b"hello"}), "not an OpenDocument .odt file (the zip holds no META-INF"),
        (encrypted_odt, "encrypted OpenDocument .odt file (saved with a password)"),
        (lambda good: wholly_encrypted_odt(), "encrypted OpenDocument .odt file (saved with a password)"),
        (
            lambda good: with_member(good, "mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
            "not an OpenDocument text file (an OpenDocument spreadsheet)",
        ),
        (lambda good: with_member(good, "content.xml", b"<office:document-content"), "damaged OpenDocument .odt"),
        (lambda good: with_member(good, "META-INF/manifest.xml", b"<manifest"), "unreadable manifest"),
    ],
    ids=[
        "truncated",
        "ole",
        "not-a-zip",
        "other-zip",
        "encrypted",
        "encrypted-whole",
        "spreadsheet",
        "broken-xml",
        "broken-manifest",
    ],
)
def test_damaged_odt_is_refused_in_one_line(tmp_path: Path, make: Callable[[bytes], bytes], fragment: str) -> None:
    good = write_odt(tmp_path / "good.odt", FOOTNOTE).read_bytes()
    bad = tmp_path / "bad.odt"
    bad.write_bytes(make(good))
    with pytest.raises(LoadError) as raised:
        load_file(bad, "bad.odt")
    assert fragment in str(raised.value) and "\n" not in str(raised.value)


def test_an_odt_with_no_text_is_refused(tmp_path: Path) -> None:
    from odfdo import Document, Paragraph

    document = Document("text")
    document.body.clear()
    document.body.append(Paragraph("   "))
    document.save(tmp_path / "blank.odt")
    with pytest.raises(LoadError, match="^OpenDocument text file has no text$"):
        load_file(tmp_path / "blank.odt", "blank.odt")


def test_zip_bomb_odt_is_refused_before_unpacking(tmp_path: Path) -> None:
    path = write_zip_bomb_odt(tmp_path / "bomb.odt", unpacked_mb=64)
    assert path.stat().st_size < 2**20
    with pytest.raises(LoadError, match=r"refused OpenDocument \.odt file: Pictures/image1\.png unpacks \d[\d,]*x"):
        load_file(path, "bomb.odt")


def test_entities_in_an_odt_are_not_expanded(tmp_path: Path) -> None:
    good = write_odt(tmp_path / "good.odt").read_bytes()
    with zipfile.ZipFile(tmp_path / "good.odt") as package:
        content = package.read("content.xml").decode()
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-LINE")
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    doctype = f'<!DOCTYPE d [<!ENTITY leak SYSTEM "file://{secret}"><!ENTITY l0 "lol">{laughs}]>'
    for entity in ("&leak;", "&l9;"):
        tampered = content.replace("?>", "?>" + doctype, 1).replace("Cyprus", entity, 1)
        path = tmp_path / "entities.odt"
        path.write_bytes(with_member(good, "content.xml", tampered.encode()))
        try:
            [doc] = load_file(path, "entities.odt")
        except LoadError as exc:
            assert "damaged OpenDocument .odt file" in str(exc)
        else:
            assert "TOP-SECRET" not in doc.text and "lollollol" not in doc.text


def test_mangled_odt_bytes_raise_only_load_error(tmp_path: Path) -> None:
    good = write_odt(tmp_path / "good.odt", FOOTNOTE, ENDNOTE).read_bytes()
    assert_mangled_bytes_refused(good, tmp_path / "mangled.odt", seed=23)


@pytest.fixture(scope="module")
def odt_assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("odt")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "000_ecf764e4fb7f4f22.txt", corpus / "kyiv.txt")
    write_odt(corpus / "seizures.odt", FOOTNOTE, ENDNOTE)
    settings: Settings = load_settings(
        Path("/nonexistent.toml"), environ={}, corpus_dir=corpus, index_dir=root / "index"
    )
    report = ingest(settings)
    assert sorted(report.added) == ["kyiv.txt", "seizures.odt"] and not report.skipped
    return Assistant.from_settings(settings)


def test_a_question_is_answered_from_an_odt_table_row_citing_it(odt_assistant: Assistant) -> None:
    answer = odt_assistant.ask("How many boats were seized in Greece in 2021?")
    assert not answer.abstained, answer.reason
    quoted = [s for s in answer.statements if "Boats seized: 148" in s.text]
    assert quoted, [s.text for s in answer.statements]
    citation = quoted[0].citations[0]
    assert (citation.source, citation.page, citation.title) == (
        "seizures.odt",
        None,
        "Smuggling on the Eastern Mediterranean route",
    )
    assert quoted[0].support == "verified"
