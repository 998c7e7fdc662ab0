"""A citation names the page its quote is printed on, also when its chunk runs across a page break."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from assistant.answering.citations import cite
from assistant.config import Settings, load_settings
from assistant.index.store import read_chunks, write_chunks
from assistant.ingest.catalog import load_catalog
from assistant.ingest.chunking import chunk_document
from assistant.ingest.loaders import load_file
from assistant.ingest.update import ingest
from assistant.types import Answer, Chunk, Document, Hit
from tests.conftest import CORPUS
from tests.pdfs import write_pdf

# Page 1 is short, so its paragraph and page 2's share one chunk (a chunk ends at a paragraph only past 60%
# of its size): the chunk starts on page 1 and the sentence that answers is printed on page 2.
PAGE_ONE = (
    "The Baltic Border Office reports on its work in the year under review. Maritime routes across the Baltic "
    "remained quiet in the first quarter. Officers reported that the smuggling of migrants on cargo ships fell "
    "by a third."
)
TARGET = "The Coral Bay Initiative trained 90 port officers in Tallinn in May 2024."
PAGE_TWO = f"{TARGET} Cooperation with the port authorities of Riga continued throughout the year."


def crossing_chunk(tmp_path: Path) -> tuple[Document, Chunk]:
    """Return the generated report and its one chunk, which starts on page 1 and ends on page 2."""
    (document,) = load_file(write_pdf(tmp_path / "report.pdf", [PAGE_ONE, PAGE_TWO]), "report.pdf")
    (chunk,) = chunk_document(document)
    return document, chunk


def test_a_chunk_records_where_its_next_page_begins(tmp_path: Path) -> None:
    document, chunk = crossing_chunk(tmp_path)
    assert (chunk.page, chunk.last_page) == (1, 2)
    assert chunk.page_starts == (document.page_spans[1] - chunk.start,)
    assert chunk.text[chunk.page_starts[0] :].startswith(TARGET)
    assert chunk.page_of(0) == 1 and chunk.page_of(chunk.text.index("smuggling")) == 1
    assert chunk.page_of(chunk.text.index(TARGET)) == 2 and chunk.page_of(len(chunk.text) - 1) == 2


def test_every_character_of_every_seed_chunk_is_on_the_page_of_its_document_offset() -> None:
    catalog = load_catalog(CORPUS)
    documents = [d for p in sorted(CORPUS.glob("*.txt")) for d in load_file(p, p.name, catalog.get(p.name))]
    crossing = 0
    for document in documents:
        for chunk in chunk_document(document, max_chars=800):
            pages = [document.page_at(chunk.start + i) for i in range(len(chunk.text))]
            assert [chunk.page_of(i) for i in range(len(chunk.text))] == pages, chunk.id
            assert chunk.last_page == pages[-1]
            crossing += chunk.page != chunk.last_page
    assert crossing > 0  # the seed documents have chunks that run across a page break


def test_ocr_pages_are_those_of_the_chunk() -> None:
    text = "A typed page one sentence.\n\nA scanned page two sentence.\n\nA typed page three sentence."
    starts = (0, text.index("A scanned"), text.index("A typed page three"))
    document = Document("d", "act.pdf", "Act", "", "", "", "pdf", text, starts, ocr_pages=(2,))
    (chunk,) = chunk_document(document)
    assert chunk.ocr and chunk.ocr_pages == (2,) and chunk.page_starts == starts[1:]
    marks = {chunk.page_of(start): chunk.ocr_on(chunk.page_of(start)) for start in starts}
    assert marks == {1: False, 2: True, 3: False}


def test_chunks_round_trip_through_the_index_file_and_old_ones_still_load(tmp_path: Path) -> None:
    _, chunk = crossing_chunk(tmp_path)
    path = tmp_path / "chunks.jsonl"
    write_chunks(path, [chunk])
    (back,) = read_chunks(path)
    assert back == chunk and hash(back) == hash(chunk)  # tuples again, not JSON's lists

    # A chunk written before chunks kept their page breaks: no such fields, so it lies on its first page.
    old = {k: v for k, v in asdict(replace(chunk, ocr=True)).items() if k not in ("page_starts", "ocr_pages")}
    path.write_text(json.dumps(old) + "\n", encoding="utf-8")
    (legacy,) = read_chunks(path)
    assert (legacy.page_starts, legacy.ocr_pages, legacy.last_page) == ((), (), 1)
    citation = cite(legacy, legacy.text.index(TARGET), legacy.text.index(TARGET) + len(TARGET))
    assert (citation.page, citation.ocr) == (1, True)  # the first page, and the chunk's own OCR mark


def test_a_quote_on_the_second_page_is_cited_to_it(tmp_path: Path) -> None:
    _, chunk = crossing_chunk(tmp_path)
    start = chunk.text.index(TARGET)
    assert cite(chunk, start, start + len(TARGET)).page == 2
    assert cite(chunk, 0, chunk.text.index(".") + 1).page == 1  # the first sentence is on the chunk's first page
    # The OCR mark is the quoted page's: page 2 was read by OCR, page 1 was not.
    scanned = replace(chunk, ocr=True, ocr_pages=(2,))
    assert cite(scanned, start, start + len(TARGET)).ocr and not cite(scanned, 0, 10).ocr


def test_a_passage_shown_whole_names_every_page_it_spans(tmp_path: Path) -> None:
    from assistant.output.export import to_markdown
    from assistant.output.render import abstention_html, passage_html
    from assistant.output.text import page_label

    chunk = replace(crossing_chunk(tmp_path)[1], title="Report")
    assert (page_label(3), page_label(3, True, 4), page_label(3, last=3), page_label(None, last=2)) == (
        "p. 3",
        "pp. 3–4 (OCR)",
        "p. 3",
        "",
    )
    abstained = Answer("What is the budget?", (), True, (Hit(chunk, 0.5, 1),), reason="No budget is given.")
    assert "Report, pp. 1–2" in abstention_html(abstained, 0)
    assert "Closest related passages: Report, pp. 1–2." in to_markdown([("What is the budget?", abstained)])
    assert "<dt>Page</dt><dd>1–2</dd>" in passage_html(chunk, None, None)  # a related passage: all its pages
    start = chunk.text.index(TARGET)
    assert "<dt>Page</dt><dd>2</dd>" in passage_html(chunk, (start, start + len(TARGET)), None)  # a citation's


@pytest.fixture(scope="module")
def report_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose index holds the two-page report and a seed text file, through the real ingest."""
    root = tmp_path_factory.mktemp("citation-pages")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "000_ecf764e4fb7f4f22.txt", corpus / "kyiv.txt")
    write_pdf(corpus / "report.pdf", [PAGE_ONE, PAGE_TWO])
    (corpus / "catalog.toml").write_text(
        '["report.pdf"]\ntitle = "Baltic Border Office Annual Report"\norganisation = "BBO"\ndate = "2024"\n',
        encoding="utf-8",
    )
    settings = load_settings(Path("/nonexistent.toml"), environ={}, corpus_dir=corpus, index_dir=root / "index")
    report = ingest(settings)
    assert sorted(report.added) == ["kyiv.txt", "report.pdf"] and not report.skipped
    return settings


def test_an_answer_from_the_second_page_cites_it_everywhere(report_settings: Settings) -> None:
    from assistant.output.contract import answer_to_json
    from assistant.output.export import to_docx, to_markdown
    from assistant.pipeline import Assistant
    from assistant.ui.sources import page_panel

    answer = Assistant.from_settings(report_settings).ask("How many port officers did the Coral Bay Initiative train?")
    assert not answer.abstained, answer.reason
    [citation] = [c for s in answer.statements for c in s.citations if "90 port officers" in s.text]
    [chunk] = [h.chunk for h in answer.hits if h.chunk.id == citation.chunk_id]
    assert chunk.text[citation.start : citation.end] == TARGET
    assert (chunk.page, citation.page, citation.ocr) == (1, 2, False)  # the chunk starts on page 1

    [cited] = [c for c in answer_to_json(answer)["citations"] if c["n"] == citation.n]
    assert (cited["page"], cited["quote"]) == (2, TARGET)
    note = f"Baltic Border Office Annual Report. BBO, 2024, p. 2. “{TARGET}”"
    assert f"[^{citation.n}]: {note}" in to_markdown([("How many officers?", answer)])
    with zipfile.ZipFile(io.BytesIO(to_docx([("How many officers?", answer)]))) as z:
        assert note in z.read("word/footnotes.xml").decode()

    page = page_panel(chunk, citation.start, citation.end, report_settings)
    assert "Page 2 of 2: the quoted words are highlighted." in page and page.count('class="page-mark"') == 1
