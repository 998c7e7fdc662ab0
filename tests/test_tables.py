"""Tables as quotable rows: a ruled PDF table, and questions answered from its rows and from a Word table."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from assistant.ingest.loaders import load_file
from assistant.ingest.pdf_tables import has_rules, looks_tabular
from assistant.ingest.update import ingest
from assistant.pipeline import Assistant
from tests.conftest import CORPUS
from tests.office_files import APPREHENSIONS, write_docx, write_table_pdf
from tests.pdfs import write_pdf

# A page of ordinary length before the table's page, as in a real report (a short one would share its chunk
# with the table; the row would still be cited to page 2, the page its quote is on: tests/test_citation_pages.py).
INTRO = (
    "Annual border report. This report describes irregular crossings at the eastern land border and the work "
    "of the border police in the year under review. Patrols were reinforced along the river section, where most "
    "crossings took place at night. New surveillance equipment was installed at three crossing points and the "
    "police trained two hundred officers in the detection of forged documents. Cooperation with the neighbouring "
    "country improved: joint patrols started in the spring and information on smuggling networks was exchanged "
    "every week. The statistical annex on the next page gives the figures for the last four years."
)
CAPTION = (
    "Statistical annex. Table 1 gives the apprehensions of irregular migrants and the returns carried out, by year."
)


def test_a_ruled_pdf_table_becomes_rows_that_keep_their_header_on_their_page(tmp_path: Path) -> None:
    path = write_table_pdf(tmp_path / "annex.pdf", [INTRO], CAPTION, APPREHENSIONS)
    [doc] = load_file(path, "annex.pdf")
    lines = doc.text.split("\n")
    row = "Year: 2019 | Apprehensions: 1,234 | Returns: 402."
    assert row in lines and "Year: 2017 | Apprehensions: 812 | Returns: 301." in lines
    assert doc.page_at(doc.text.index(row)) == 2
    # The rows take the place of the flattened text, which is gone.
    assert "2019 1,234 402" not in doc.text and "Year Apprehensions Returns" not in doc.text
    assert doc.text.index("Statistical annex") < doc.text.index("Year: 2017")


def test_only_pages_with_numbers_and_drawn_rules_go_to_the_table_finder(tmp_path: Path) -> None:
    act = (
        "(1) A person commits an offence if:\n(2) An offence against subsection (1) is punishable.\n(3) See 12 and 14."
    )
    assert not looks_tabular(act)
    assert looks_tabular("Year Count\n2017 812 301\n2018 1,005 356\n2019 1,234 402")
    assert has_rules(b"0 0 100 20 re 0 20 100 20 re 100 0 50 20 re 100 20 50 20 re S")
    assert not has_rules(b"BT (1 2 3 4 re) Tj ET 10 10 500 700 re S")  # one frame, and a string that looks like ops
    # A borderless table of two columns keeps its flattened lines: a row of fewer than three values does not
    # send the page to the borderless reader (tests/test_borderless_tables.py), which a01's notes would pass.
    path = write_pdf(tmp_path / "plain.pdf", ["Year Apprehensions\n2017 812\n2018 1,005\n2019 1,234"])
    [doc] = load_file(path, "plain.pdf")
    assert "2019 1,234" in doc.text and "|" not in doc.text


@pytest.fixture(scope="module")
def office_assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("office")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "000_ecf764e4fb7f4f22.txt", corpus / "kyiv.txt")
    write_table_pdf(corpus / "annex.pdf", [INTRO], CAPTION, APPREHENSIONS)
    write_docx(corpus / "report.docx", footnote="Source: national prosecution statistics.")
    settings: Settings = load_settings(
        Path("/nonexistent.toml"), environ={}, corpus_dir=corpus, index_dir=root / "index"
    )
    report = ingest(settings)
    assert sorted(report.added) == ["annex.pdf", "kyiv.txt", "report.docx"] and not report.skipped
    return Assistant.from_settings(settings)


@pytest.mark.parametrize(
    ("question", "value", "source", "page"),
    [
        ("How many apprehensions were there in 2019?", "Apprehensions: 1,234", "annex.pdf", 2),
        ("How many smuggling convictions were there in Italy in 2019?", "Convictions: 311", "report.docx", None),
    ],
)
def test_a_question_is_answered_from_a_table_row_citing_its_page(
    office_assistant: Assistant, question: str, value: str, source: str, page: int | None
) -> None:
    answer = office_assistant.ask(question)
    assert not answer.abstained, answer.reason
    quoted = [s for s in answer.statements if value in s.text]
    assert quoted, [s.text for s in answer.statements]
    citation = quoted[0].citations[0]
    assert (citation.source, citation.page) == (source, page)
    assert quoted[0].support == "verified"
