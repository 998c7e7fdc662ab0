"""Borderless PDF tables: rows read from word positions keep their column labels; prose with numbers stays prose."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from assistant.ingest.loaders import load_file
from assistant.ingest.pdf_words import looks_borderless
from assistant.ingest.tables import is_row_line
from tests.pdfs import write_borderless_table_pdf, write_pdf

# A page of ordinary length: a chunk cites the page it starts on (see tests/test_tables.py).
INTRO = (
    "Annual border report. This report describes irregular crossings at the sea and land borders and the work "
    "of the border police in the year under review. Patrols were reinforced along the coast, where most "
    "crossings took place at night. New surveillance equipment was installed at three crossing points and the "
    "police trained two hundred officers in the detection of forged documents. Cooperation with the neighbouring "
    "country improved: joint patrols started in the spring and information on smuggling networks was exchanged "
    "every week. The statistical annex on the next page gives the figures for the last six years."
)
CAPTION = "Table 1 Apprehensions at sea and returns carried out, by year"
# "Apprehensions at sea" is printed on two lines over its column, as statistical annexes print long labels.
HEADER = [["", "Apprehensions", ""], ["Year", "at sea", "Returns"]]
ROWS = [
    ["2015", "1,102", "288"],
    ["2016", "998", "301"],
    ["2017", "812", "301"],
    ["2018", "1,005", "356"],
    ["2019", "1,234", "402"],
    ["2020", "967", "388"],
]


def test_a_borderless_pdf_table_becomes_rows_that_keep_their_header_on_their_page(tmp_path: Path) -> None:
    path = write_borderless_table_pdf(tmp_path / "annex.pdf", [INTRO], CAPTION, HEADER, ROWS, widths=[30, 45, 30])
    assert looks_borderless(PdfReader(path).pages[1].extract_text())
    [doc] = load_file(path, "annex.pdf")
    lines = doc.text.split("\n")
    row = "Year: 2019 | Apprehensions at sea: 1,234 | Returns: 402."
    assert row in lines and "Year: 2015 | Apprehensions at sea: 1,102 | Returns: 288." in lines
    assert sum(1 for line in lines if is_row_line(line)) == len(ROWS)
    assert doc.page_at(doc.text.index(row)) == 2
    # The rows take the place of the flattened text and its header lines, which are gone; the caption stays.
    assert "2019 1,234 402" not in doc.text and "at sea Returns" not in doc.text
    assert doc.text.index("Table 1 Apprehensions") < doc.text.index("Year: 2015")


def test_a_year_printed_over_two_columns_labels_both(tmp_path: Path) -> None:
    header = [["Country", "2018", None, "2019", None], ["", "N", "%", "N", "%"]]
    rows = [
        ["Italy", "311", "40%", "290", "38%"],
        ["Malta", "27", "4%", "31", "4%"],
        ["Greece", "150", "19%", "170", "22%"],
        ["Total", "776", "100%", "770", "100%"],
    ]
    path = write_borderless_table_pdf(
        tmp_path / "convictions.pdf",
        [INTRO],
        "Table 2 Convictions by country",
        header,
        rows,
        widths=[40, 20, 20, 20, 20],
    )
    [doc] = load_file(path, "convictions.pdf")
    lines = doc.text.split("\n")
    assert "Country: Italy | 2018 N: 311 | 2018 %: 40% | 2019 N: 290 | 2019 %: 38%." in lines
    assert "Country: Total | 2018 N: 776 | 2018 %: 100% | 2019 N: 770 | 2019 %: 100%." in lines


LEGAL = [
    "Migration Agents Registration. Section 303 (1) An agent whose registration is cancelled must not be "
    "registered again within 5 years after 1 July 2019. (2) Subsection (1) applies to a cancellation made "
    "on or after 12 March 2020 and before 30 June 2021.\nPenalty: 60 penalty units.\n"
    "(3) An offence against subsection (2) is punishable by imprisonment for 2 years or 120 penalty units, "
    "or both.\ns. 7 .......... ad. No. 175, 1980; am. No. 118, 1997; No 59, 2015",
    # Lines of numbers that pass the cheap test but are not set in columns under a header: a page of notes.
    "Notes to the Migration Act. The following amendments were made by the Acts listed, which commenced on "
    "the dates shown, as the table of Acts explains in full.\n59 1989 19 June 1989 s 4\n112 1983 13 Dec 1983 s 7 "
    "and 9\n22 1984 26 Apr 1984 s 12\n165 1984 25 Oct 1984 s 3\nThe sections shown are those amended.",
]


def test_legal_text_with_numbers_and_dates_is_not_read_as_a_table(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "act.pdf", LEGAL)
    texts = [page.extract_text() for page in PdfReader(path).pages]
    assert not looks_borderless(texts[0])  # prose, an Act's penalties and its amendment notes: no table finder
    assert looks_borderless(texts[1])  # lines of numbers: the finder looks, and finds no header over columns
    [doc] = load_file(path, "act.pdf")
    assert not any(is_row_line(line) for line in doc.text.split("\n"))
    assert "Penalty: 60 penalty units." in doc.text
    assert "59 1989 19 June 1989 s 4" in doc.text and "|" not in doc.text
