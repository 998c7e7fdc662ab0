"""The page in the source panel: generated PDFs rendered, the quote found where it was written, the cache, bad input."""

from __future__ import annotations

import os
import random
import re
from dataclasses import replace
from pathlib import Path

import gradio as gr
import pypdf
import pytest
from fpdf import FPDF
from fpdf.enums import TextMode
from pdfs import write_pdf
from PIL import Image, ImageDraw, ImageFont

from assistant.config import Settings
from assistant.ingest.chunking import chunk_document
from assistant.ingest.loaders import load_file
from assistant.output import render
from assistant.output.page_html import page_band, page_html
from assistant.output.page_match import Box, Glyph, line_boxes, match_span, quote_boxes
from assistant.output.page_view import (
    PageViewError,
    page_glyphs,
    page_view,
    prune_cache,
    render_page,
    tesseract_available,
)
from assistant.types import Answer, Chunk, Citation, Hit, Statement
from assistant.ui.blocks import Callbacks
from assistant.ui.sources import page_panel, quote_pages

A4_MM = (210.0, 297.0)
TARGET = "The Coral Bay Initiative trained ninety port officers in Tallinn in May 2024."
TARGET_XY_MM = (30.0, 150.0)  # where the target sentence is written on page 2
LINE_MM = 6.0
HEADER = "Baltic Border Office - Annual Report 2024"


def write_report(path: Path) -> Path:
    """Write a two-page PDF: filler and a hyphenated line on page 1, the target sentence at a known place on page 2."""
    pdf = FPDF()
    pdf.set_auto_page_break(auto=False)
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.set_xy(10, 8)
    pdf.cell(0, 6, HEADER)
    lines = [
        "Maritime routes across the Baltic remained quiet in the first quarter.",
        "Officers reported that the smug-",
        "gling of migrants on cargo ships fell by a third.",
    ]
    for i, line in enumerate(lines):
        pdf.set_xy(10, 40 + i * LINE_MM)
        pdf.cell(0, LINE_MM, line)
    pdf.add_page()
    pdf.set_xy(10, 8)
    pdf.cell(0, 6, HEADER)
    pdf.set_xy(10, 40)
    pdf.cell(0, LINE_MM, "Training and cooperation with port authorities continued throughout the year.")
    pdf.set_xy(*TARGET_XY_MM)
    pdf.cell(0, LINE_MM, TARGET)
    pdf.output(str(path))
    return path


def write_scan(path: Path, text: str, hidden_text: str = "") -> Path:
    """Write a one-page PDF whose page is a picture of `text`, like a scanned fax.

    `hidden_text` becomes its invisible text layer, like the poor OCR layer a scanner adds.
    """
    image = Image.new("RGB", (1240, 1754), "white")  # A4 at 150 dpi
    font = ImageFont.load_default(size=34)
    ImageDraw.Draw(image).text((120, 700), text, fill="black", font=font)
    picture = path.with_suffix(".png")
    image.save(picture)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(picture), x=0, y=0, w=A4_MM[0], h=A4_MM[1])
    if hidden_text:
        pdf.set_font("Helvetica", size=11)
        pdf.text_mode = TextMode.INVISIBLE
        pdf.set_xy(20, 100)
        pdf.multi_cell(0, 6, hidden_text)
    pdf.output(str(path))
    return path


@pytest.fixture
def report(tmp_path: Path) -> Path:
    return write_report(tmp_path / "report.pdf")


def test_the_highlight_lies_where_the_sentence_was_written(report: Path, tmp_path: Path) -> None:
    view = page_view(report, [1, 2], TARGET, tmp_path / "cache")
    assert view.page == 2 and view.pages == 2 and view.text_from == "text layer"
    assert view.aspect == pytest.approx(A4_MM[1] / A4_MM[0], abs=0.001)
    assert len(view.boxes) == 1
    box = view.boxes[0]
    top_mm, bottom_mm = box.top * A4_MM[1], box.bottom * A4_MM[1]
    left_mm = box.left * A4_MM[0]
    y_mm = TARGET_XY_MM[1]
    assert y_mm - 1 <= top_mm < bottom_mm <= y_mm + LINE_MM + 1, (top_mm, bottom_mm)
    assert TARGET_XY_MM[0] - 1 <= left_mm <= TARGET_XY_MM[0] + 3, left_mm  # fpdf's cell margin is 1 mm
    assert 0.5 < box.right - box.left < 0.9  # the sentence, not the whole page width
    with Image.open(view.image) as image:
        assert image.width == 1100 and abs(image.height / image.width - A4_MM[1] / A4_MM[0]) < 0.01


def test_cleaned_chunk_text_is_found_across_a_hyphenated_line_break(report: Path, tmp_path: Path) -> None:
    # The chunk holds the cleaned text: the hyphen joined, the line break a space.
    view = page_view(report, [1, 2], "Officers reported that the smuggling of migrants on cargo ships", tmp_path)
    assert view.page == 1
    # Two boxes, in order, each inside the cell its line was written in (40 mm + 6 mm per line).
    assert len(view.boxes) == 2
    for box, y_mm in zip(view.boxes, (40 + LINE_MM, 40 + 2 * LINE_MM), strict=True):
        assert y_mm <= box.top * A4_MM[1] < box.bottom * A4_MM[1] <= y_mm + LINE_MM


def test_a_quote_that_differs_from_the_page_falls_back_to_its_longest_run(report: Path, tmp_path: Path) -> None:
    # The cleaner dropped the running header and a word was changed: the shared run still places it.
    quote = "The Coral Bay Initiative trained 90 port officers in Tallinn in May 2024."
    view = page_view(report, [2], quote, tmp_path)
    assert view.boxes and abs(view.boxes[0].top * A4_MM[1] - TARGET_XY_MM[1]) < 1.5


def test_a_quote_not_on_the_page_has_no_highlight(report: Path, tmp_path: Path) -> None:
    view = page_view(report, [1], "Nothing of the kind appears there, xyzzy plugh.", tmp_path)
    assert view.page == 1 and view.boxes == () and view.text_from == "text layer"


def test_match_span_on_plain_text() -> None:
    page = "Running header\r\nHello world. The smug-\r\ngling of migrants is a crime."
    start, end, matched = match_span(page, "the smuggling of migrants") or (0, 0, 0)
    assert page[start:end] == "The smug-\r\ngling of migrants" and matched == len("thesmugglingofmigrants")
    assert match_span(page, "") is None and match_span("", "anything") is None
    # Interrupted on the page by a header the chunk does not hold: the span covers both runs.
    page = "the first half of the sentence\nPAGE 4 HEADER\nand the second half of it here"
    start, end, _ = match_span(page, "the first half of the sentence and the second half of it") or (0, 0, 0)
    assert page[start:end].startswith("the first half") and page[start:end].endswith("second half of it")


def test_line_boxes_merge_a_line_and_split_lines() -> None:
    def glyph(ch: str, left: float, top: float) -> Glyph:
        return Glyph(ch, Box(left, top, left + 0.01, top + 0.02))

    glyphs = [glyph("a", 0.1, 0.5), glyph("b", 0.11, 0.5), Glyph(" ", Box(0, 0, 0, 0)), glyph("c", 0.1, 0.53)]
    assert line_boxes(glyphs) == (Box(0.1, 0.5, 0.12, 0.52), Box(0.1, 0.53, 0.11, 0.55))
    assert quote_boxes(glyphs, "zz") == ((), 0)


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_on_a_rotated_page_the_highlight_covers_the_printed_words(report: Path, tmp_path: Path, rotation: int) -> None:
    reader, writer = pypdf.PdfReader(report), pypdf.PdfWriter()
    writer.add_page(reader.pages[1].rotate(rotation))
    rotated = tmp_path / f"rotated-{rotation}.pdf"
    writer.write(rotated)
    view = page_view(rotated, [1], TARGET, tmp_path / "cache")
    upright = rotation in (0, 180)
    assert view.aspect == pytest.approx(A4_MM[1] / A4_MM[0] if upright else A4_MM[0] / A4_MM[1], abs=0.001)
    with Image.open(view.image) as image:
        assert image.height / image.width == pytest.approx(view.aspect, abs=0.002)
        page = image.convert("L")
    # Shown sideways, the sentence runs down the page: one box a letter, no longer one a line.
    assert len(view.boxes) == 1 if upright else len(view.boxes) > 20
    for box in view.boxes:
        area = (round(box.left * page.width), round(box.top * page.height))
        area += (round(box.right * page.width) + 1, round(box.bottom * page.height) + 1)
        inked = page.crop(area).point(lambda level: 255 if level < 128 else 0).getbbox()
        assert inked is not None, box  # dark pixels of print inside every box


def test_a_cached_page_is_rendered_once_and_again_when_the_file_changes(report: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = render_page(report, 1, cache)
    rendered_at = first.stat().st_mtime_ns
    os.utime(first, ns=(rendered_at - 10**9, rendered_at - 10**9))
    again = render_page(report, 1, cache)
    assert again == first and first.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert again.stat().st_mtime_ns > rendered_at - 10**9  # touched as used, not re-rendered: same bytes
    assert render_page(report, 2, cache) != first
    write_report(report)  # the same bytes rewritten: a new modification time, so a new image
    os.utime(report, ns=(rendered_at + 5 * 10**9, rendered_at + 5 * 10**9))
    assert render_page(report, 1, cache) != first
    assert not list(cache.glob(".write-*"))  # no temp file left behind


def test_the_cache_keeps_its_size_by_dropping_the_least_recently_used(report: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    one, two = render_page(report, 1, cache), render_page(report, 2, cache)
    os.utime(one, ns=(1, 1))  # page 1 used long ago
    assert prune_cache(cache, max_bytes=two.stat().st_size) == [one]
    assert not one.exists() and two.exists()
    assert prune_cache(cache, max_bytes=0, keep=two) == [] and two.exists()


def test_a_bad_page_number_or_file_says_so_in_one_line(report: Path, tmp_path: Path) -> None:
    with pytest.raises(PageViewError, match=r"report.pdf has no page 9 \(it has 2\)"):
        page_view(report, [9], TARGET, tmp_path)
    with pytest.raises(PageViewError, match="no page 0"):
        page_glyphs(report, 0)
    # The chunk's next page is searched too, but a chunk on the last page has none: no error.
    assert page_view(report, [2, 3], TARGET, tmp_path).page == 2
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(report.read_bytes()[:300])
    with pytest.raises(PageViewError, match="Cannot open broken.pdf as a PDF"):
        page_view(broken, [1], TARGET, tmp_path)


def test_a_scan_is_shown_and_highlighted_only_with_ocr(tmp_path: Path) -> None:
    scan = write_scan(tmp_path / "fax.pdf", "Border crossings rose sharply in March.")
    view = page_view(scan, [1], "Border crossings rose sharply", tmp_path / "cache")
    assert view.image.is_file() and view.pages == 1
    if tesseract_available():
        assert view.text_from == "OCR" and len(view.boxes) == 1
        assert abs(view.boxes[0].top - 700 / 1754) < 0.02 and view.boxes[0].left < 0.15
    else:
        assert view.text_from == "" and view.boxes == ()
    caption = page_html("x.png", 1, 1, view.boxes, view.text_from)
    assert ("OCR" in caption) if tesseract_available() else ("without OCR" in caption and "page-mark" not in caption)


def test_the_band_shown_centres_the_quote_and_stays_on_the_page() -> None:
    assert page_band(()) == (0.0, 1.0)
    assert page_band((Box(0.1, 0.5, 0.8, 0.52),)) == pytest.approx((0.31, 0.4))
    assert page_band((Box(0.1, 0.02, 0.8, 0.04),)) == (0.0, 0.4)  # near the top: from the top
    assert page_band((Box(0.1, 0.95, 0.8, 0.97),)) == pytest.approx((0.6, 0.4))  # near the bottom: to the bottom
    tall = (Box(0.1, 0.1, 0.8, 0.12), Box(0.1, 0.7, 0.8, 0.72))
    assert page_band(tall) == pytest.approx((0.05, 0.72))  # a long quote: all of it, 5% spare each side


@pytest.mark.skipif(not tesseract_available(), reason="Tesseract is not installed (scripts/install-ocr.sh)")
def test_a_poor_text_layer_falls_back_to_the_pages_ocr_words_which_are_cached(tmp_path: Path) -> None:
    # The index holds the page's OCR text, which the scanner's own text layer does not contain.
    garbage = "butwhich shallnot be less than three years Pakist3n " * 3
    scan = write_scan(tmp_path / "gazette.pdf", "Border crossings rose sharply in March.", hidden_text=garbage)
    glyphs, _, _ = page_glyphs(scan, 1)
    assert "Pakist3n" in "".join(g.char for g in glyphs)  # the text layer is there, and poor
    view = page_view(scan, [1], "Border crossings rose sharply", tmp_path / "cache")
    assert view.text_from == "OCR" and len(view.boxes) == 1
    assert abs(view.boxes[0].top - 700 / 1754) < 0.02
    words = view.image.with_suffix(".words.json")
    assert "crossings" in words.read_text(encoding="utf-8")
    words.write_text('[["Elsewhere", [0.5, 0.9, 0.6, 0.92]]]', encoding="utf-8")  # the cache is read, not OCR
    assert page_view(scan, [1], "Border crossings rose sharply", tmp_path / "cache").boxes == ()


def settings_for(corpus: Path) -> Settings:
    return Settings(corpus_dir=corpus, index_dir=corpus.parent / "index")


def chunk_of(source: str, page: int | None, text: str = TARGET) -> Chunk:
    return Chunk("c1", "d1", text, 0, len(text), page, "", source, "Annual report")


def test_the_panel_shows_a_pdf_page_and_text_only_for_other_sources(report: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    report.rename(corpus / "report.pdf")
    (corpus / "note.txt").write_text(TARGET, encoding="utf-8")
    settings = settings_for(corpus)

    words = "ninety port officers in Tallinn"
    page = page_panel(chunk_of("report.pdf", 2), TARGET.index(words), TARGET.index(words) + len(words), settings)
    assert "Page 2 of 2: the quoted words are highlighted." in page
    images = list((tmp_path / "index" / "page-images").glob("*.png"))
    assert len(images) == 1 and f"gradio_api/file={images[0]}" in page
    assert page.count('class="page-mark"') == 1

    assert page_panel(chunk_of("note.txt", None), 0, len(TARGET), settings) == ""
    assert page_panel(chunk_of("report.pdf", None), 0, len(TARGET), settings) == ""  # no page known
    assert "has no page 7" in page_panel(chunk_of("report.pdf", 7), 0, len(TARGET), settings)
    outside = tmp_path / "secret.pdf"
    write_report(outside)
    assert page_panel(chunk_of("../secret.pdf", 1), 0, len(TARGET), settings) == ""  # never a file outside the corpus


def test_the_source_panel_puts_the_page_under_the_passage() -> None:
    chunk = chunk_of("report.pdf", 2, "Intro. " + TARGET)
    citation = Citation(1, "c1", "report.pdf", "Annual report", 2, 7, 7 + len(TARGET))
    statement = Statement("Ninety officers were trained.", (citation,), "verified")
    answer = Answer("q", (statement,), False, (Hit(chunk, 1, 1),))
    quotes: list[str] = []

    def page_for(c: Chunk, start: int, end: int) -> str:
        quotes.append(c.text[start:end])
        return page_html("p.png", 2, 2, (Box(0.1, 0.5, 0.8, 0.52),), "text layer")

    cited = render.source_html([("q", answer)], render.parse_ref("#src-0-c1"), lambda c: None, page_for)
    assert quotes == [TARGET]  # the cited span, not the whole passage
    assert cited.index('<blockquote class="passage">') < cited.index('<figure class="page-view">')
    assert 'style="left:10.00%;top:50.00%;width:70.00%;height:2.00%"' in cited
    assert 'style="transform:translateY(-31.00%)"' in cited  # the band of 40% of the page around the quote
    render.source_html([("q", answer)], render.parse_ref("#src-0-h1"), lambda c: None, page_for)
    assert quotes[-1] == "Intro. " + TARGET  # a related passage: the whole passage
    assert "page-view" not in render.source_html([("q", answer)], render.parse_ref("#src-0-c1"), lambda c: None)


WORDS = [
    "ports",
    "routes",
    "courts",
    "shelters",
    "officers",
    "smugglers",
    "vessels",
    "borders",
    "permits",
    "visas",
    "convoys",
    "harbours",
    "inspectors",
    "migrants",
    "prosecutors",
    "judges",
    "lorries",
    "checkpoints",
    "ferries",
    "airports",
]


def test_every_sentence_of_a_loaded_pdf_is_found_on_its_page(tmp_path: Path) -> None:
    """Through the real loader and chunker: the cleaned chunk text (headers and footers dropped) still lands."""
    pick = random.Random(17)
    pages = [
        " ".join(
            f"Sentence {page}-{n} says that {' and '.join(pick.sample(WORDS, 3))} near {pick.choice(WORDS)} "
            f"reported {page * 100 + n} cases of {' '.join(pick.sample(WORDS, 4))} this year."
            for n in range(1, 13)
        )
        for page in range(1, 5)
    ]
    pdf = write_pdf(tmp_path / "annual.pdf", pages, header="Regional Office - Annual Review", footer="Page")
    (document,) = load_file(pdf, "annual.pdf")
    chunks = chunk_document(document)
    assert len(chunks) > 4 and "Annual Review" not in document.text  # the running header was dropped
    checked = 0
    for chunk in chunks:
        for sentence in re.findall(r"Sentence \d-\d+ [^.]*\.", chunk.text):
            offset = chunk.text.index(sentence)
            pages = quote_pages(chunk, offset, offset + len(sentence))
            view = page_view(pdf, pages, sentence, tmp_path / "cache")
            assert view.page == document.page_at(chunk.start + offset) == chunk.page_of(offset), sentence
            written_on = int(sentence.split()[1].split("-")[0])
            assert view.page == written_on and view.boxes, sentence
            checked += 1
    assert checked >= 4 * 12


def test_clicking_a_citation_of_a_pdf_opens_its_text_and_page(report: Path, tmp_path: Path) -> None:
    """The handler the citation click fires, on a PDF citation and a text-file citation."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    report.rename(corpus / "report.pdf")
    (corpus / "note.txt").write_text("Intro. " + TARGET, encoding="utf-8")
    pdf_chunk, txt_chunk = chunk_of("report.pdf", 2, "Intro. " + TARGET), chunk_of("note.txt", None, "Intro. " + TARGET)
    txt_chunk = replace(txt_chunk, id="c2")
    cites = (
        Citation(1, "c1", "report.pdf", "Annual report", 2, 7, 7 + len(TARGET)),
        Citation(2, "c2", "note.txt", "Annual report", None, 7, 7 + len(TARGET)),
    )
    statement = Statement("Ninety officers were trained.", cites, "verified")
    turns = [("q", Answer("q", (statement,), False, (Hit(pdf_chunk, 1, 1), Hit(txt_chunk, 0.9, 2))))]
    callbacks = Callbacks(settings_for(corpus), assistant=None)  # type: ignore[arg-type]

    panel = callbacks.show_source(turns, gr.EventData(None, {"ref": "#src-0-c1"}))
    assert f"<mark>{TARGET}</mark>" in panel and "Page 2 of 2: the quoted words are highlighted." in panel
    assert panel.count('class="page-mark"') == 1
    panel = callbacks.show_source(turns, gr.EventData(None, {"ref": "#src-0-c2"}))
    assert f"<mark>{TARGET}</mark>" in panel and "page-view" not in panel  # a text file: its text only
