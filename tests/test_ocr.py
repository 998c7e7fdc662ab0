"""OCR page by page: scanned pages and bad text layers are read by Tesseract, kept with their pages, cited as OCR."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from assistant.cli.run import main
from assistant.config import Settings, load_settings
from assistant.index.generations import load_index
from assistant.ingest.chunking import chunk_document
from assistant.ingest.loaders import load_file
from assistant.ingest.ocr import installed_languages
from assistant.ingest.text_quality import text_quality
from assistant.ingest.update import ingest
from tests.conftest import REPO
from tests.pdfs import write_pdf, write_scanned_pdf

needs_ocr = pytest.mark.skipif(
    not installed_languages("tesseract"), reason="Tesseract is not installed (bash scripts/install-ocr.sh)"
)
NO_OCR = "/nonexistent/tesseract"

ACT_PAGE = (
    "The Foreigners Act sets a penalty of imprisonment for seven years for any person who smuggles migrants "
    "across the border for a financial or other material benefit. The same penalty applies to any person who "
    "organises or directs others to smuggle migrants."
)
TRIBUNAL_PAGE = (
    "The Lahore tribunal heard 412 asylum appeals in 2019, and most of the appellants had crossed the border "
    "by road. The tribunal sat in public and published its decisions within two months."
)
DETENTION_PAGE = (
    "Detention of smuggled migrants shall be a measure of last resort, and children shall never be held in "
    "police cells. Every detained person shall be told the reasons for detention in a language he understands."
)
# Chunks of 300 characters at most keep each page above in chunks of its own (a chunk is cited by its first page).
CHUNK_CHARS = 300
# A bad OCR program's text layer over the tribunal page, in the manner of the gazette d05 of the library.
GARBLED = (
    "The Lahoretribunal heard4l2 asyIum appea1s in2019, andmost ofthe appe11ants hadcrossed theborder "
    "byroad. Thetribunal satin pub1ic andpublished itsdecisions withintwo months butwhich shallnot Pakist3n."
)


def test_the_quality_test_tells_a_bad_text_layer_from_a_good_one() -> None:
    good, bad = text_quality(TRIBUNAL_PAGE), text_quality(GARBLED)
    assert good.passes and good.dictionary == 1.0 and good.glued == 0.0
    assert not bad.passes and bad.dictionary < 0.8 and bad.glued > 0.05
    assert bad.score < good.score
    assert not text_quality("12").has_text and not text_quality("").passes  # no text layer at all
    assert not text_quality(TRIBUNAL_PAGE.replace(" ", " ¤¬ ")).passes  # odd characters


def test_french_cyrillic_and_arabic_words_are_words() -> None:
    assert text_quality(
        "Le présent protocole a pour objet de prévenir et combattre le trafic illicite de migrants."
    ).passes
    assert text_quality(
        "Настоящий протокол имеет целью предупреждение незаконного ввоза мигрантов и борьбу с ним."
    ).passes
    assert text_quality("يهدف هذا البروتوكول إلى منع ومكافحة تهريب المهاجرين وتعزيز التعاون بين الدول الأطراف").passes


@needs_ocr
def test_a_scanned_pdf_is_read_with_its_words_pages_and_ocr_mark(tmp_path: Path) -> None:
    pdf = write_scanned_pdf(tmp_path / "scan.pdf", [ACT_PAGE, TRIBUNAL_PAGE, DETENTION_PAGE])
    heard: list[tuple[int, int, str]] = []
    [document] = load_file(pdf, "scan.pdf", progress=lambda done, total, what: heard.append((done, total, what)))
    assert document.ocr_pages == (1, 2, 3) and document.unread_pages == ()
    assert len(document.page_spans) == 3
    at = document.text.index("412 asylum appeals")
    assert document.page_at(at) == 2
    assert document.page_at(document.text.index("seven years")) == 1
    assert document.page_at(document.text.index("last resort")) == 3
    assert heard == [(1, 3, "OCR page 1/3"), (2, 3, "OCR page 2/3"), (3, 3, "OCR page 3/3")]
    chunks = chunk_document(document, CHUNK_CHARS, 0)
    assert [c.page for c in chunks] == [1, 2, 3] and all(c.ocr for c in chunks)


@needs_ocr
def test_a_garbled_text_layer_is_read_again_and_a_good_one_is_kept(tmp_path: Path) -> None:
    # Page 1 carries a faithful invisible text layer, page 2 a garbled one: only page 2 is worth OCR.
    pdf = write_scanned_pdf(tmp_path / "gazette.pdf", [ACT_PAGE, TRIBUNAL_PAGE], text_layers=[ACT_PAGE, GARBLED])
    [document] = load_file(pdf, "gazette.pdf")
    assert document.ocr_pages == (2,)
    assert "412 asylum appeals in 2019" in document.text
    assert "butwhich" not in document.text and "Lahoretribunal" not in document.text
    assert document.page_at(document.text.index("412 asylum")) == 2
    first, second = chunk_document(document, CHUNK_CHARS, 0)
    assert "seven years" in first.text and not first.ocr  # the text layer of page 1 is not marked OCR
    assert "412" in second.text and second.ocr and second.page == 2


def test_a_born_digital_pdf_is_not_ocrd(tmp_path: Path) -> None:
    # The OCR command points nowhere, so any attempt to OCR would leave a page unread.
    pdf = write_pdf(tmp_path / "report.pdf", [ACT_PAGE, TRIBUNAL_PAGE])
    [document] = load_file(pdf, "report.pdf", ocr_command=NO_OCR)
    assert document.ocr_pages == () and document.unread_pages == ()
    assert "412 asylum appeals" in document.text


def test_without_tesseract_skipped_pages_are_named_in_one_line_and_the_rest_is_indexed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # Page 1 has a (good) text layer, pages 2 and 3 are bare images; the second file is images only.
    write_scanned_pdf(corpus / "mixed.pdf", [ACT_PAGE, TRIBUNAL_PAGE, DETENTION_PAGE], [ACT_PAGE, None, None])
    write_scanned_pdf(corpus / "scan.pdf", [DETENTION_PAGE])
    monkeypatch.setenv("ASSISTANT_OCR_COMMAND", NO_OCR)
    code = main(["--index-dir", str(tmp_path / "index"), "--corpus-dir", str(corpus), "ingest", "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = err.splitlines()
    partial = [line for line in lines if "mixed.pdf" in line]
    assert partial == [
        f"Indexed {corpus.resolve() / 'mixed.pdf'} in part: pages 2, 3 skipped: no text layer and OCR "
        f"({NO_OCR}) is not installed; run scripts/install-ocr.sh"
    ]
    skipped = [line for line in lines if "scan.pdf" in line]
    assert len(skipped) == 1 and skipped[0].startswith(f"Skipped {corpus.resolve() / 'scan.pdf'}: scanned PDF")
    assert f"OCR ({NO_OCR}) is not installed" in skipped[0]
    chunks = load_index(tmp_path / "index").store.chunks
    assert {c.source for c in chunks} == {"mixed.pdf"}
    assert any("seven years" in c.text and c.page == 1 for c in chunks)
    assert not any("412" in c.text for c in chunks)


@needs_ocr
def test_a_file_indexed_without_its_scans_is_read_again_once_ocr_is_installed(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_scanned_pdf(corpus / "mixed.pdf", [ACT_PAGE, TRIBUNAL_PAGE], [ACT_PAGE, None])
    settings = load_settings(
        Path("/nonexistent.toml"),
        environ={},
        corpus_dir=corpus,
        index_dir=tmp_path / "index",
        chunk_max_chars=CHUNK_CHARS,
    )
    first = ingest(settings.replace(ocr_command=NO_OCR))
    assert first.added == ["mixed.pdf"] and len(first.partial) == 1 and "page 2 skipped" in first.partial[0][1]
    second = ingest(settings)
    assert second.updated == ["mixed.pdf"] and second.partial == []
    [page_two] = [c for c in load_index(settings.index_dir).store.chunks if "412 asylum appeals" in c.text]
    assert page_two.page == 2 and page_two.ocr
    assert ingest(settings).unchanged == ["mixed.pdf"]  # read once with OCR, then left alone


@pytest.fixture(scope="module")
def scanned_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose index holds a scanned three-page act and a text file, read with OCR."""
    if not installed_languages("tesseract"):
        pytest.skip("Tesseract is not installed (bash scripts/install-ocr.sh)")
    root = tmp_path_factory.mktemp("scanned")
    corpus = root / "corpus"
    corpus.mkdir()
    write_scanned_pdf(corpus / "lahore-act.pdf", [ACT_PAGE, TRIBUNAL_PAGE, DETENTION_PAGE])
    (corpus / "notes.txt").write_text(
        "The Athens workshop gathered border police from ten countries to discuss maritime rescue.\n", "utf-8"
    )
    settings = load_settings(
        Path("/nonexistent.toml"), environ={}, corpus_dir=corpus, index_dir=root / "index", chunk_max_chars=CHUNK_CHARS
    )
    report = ingest(settings)
    assert not report.skipped and not report.partial
    return settings


def test_a_scanned_pdf_answers_with_a_citation_to_its_page_marked_ocr(
    scanned_settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.output.export import to_markdown
    from assistant.output.render import answer_html, passage_html
    from assistant.pipeline import Assistant

    answer = Assistant.from_settings(scanned_settings).ask(
        "How many asylum appeals did the Lahore tribunal hear in 2019?"
    )
    assert not answer.abstained and "412" in answer.statements[0].text
    citation = answer.statements[0].citations[0]
    assert (citation.source, citation.page, citation.ocr) == ("lahore-act.pdf", 2, True)
    assert "p. 2 (OCR)" in answer_html(answer, 0)
    [hit] = [h for h in answer.hits if h.chunk.id == citation.chunk_id]
    assert "<dd>2 (OCR)</dd>" in passage_html(hit.chunk, (citation.start, citation.end), None)
    assert "p. 2 (OCR)" in to_markdown([("How many appeals?", answer)])

    monkeypatch.setenv("ASSISTANT_CHUNK_MAX_CHARS", str(CHUNK_CHARS))
    args = ["--index-dir", str(scanned_settings.index_dir), "--corpus-dir", str(scanned_settings.corpus_dir)]
    assert main([*args, "ask", "How many asylum appeals did the Lahore tribunal hear in 2019?", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    cited = next(c for c in row["citations"] if c["n"] == row["statements"][0]["citations"][0])
    assert (cited["page"], cited["ocr"]) == (2, True) and "412" in cited["quote"]


def test_install_ocr_says_one_line_when_it_cannot_install(tmp_path: Path) -> None:
    # A PATH with no tesseract and no sudo, and an `id` that says we are not root.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "id").write_text("#!/bin/sh\necho 1000\n")
    (bin_dir / "id").chmod(0o755)
    done = subprocess.run(
        ["/bin/bash", str(REPO / "scripts/install-ocr.sh")],
        env={**os.environ, "PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0
    assert done.stderr.count("\n") == 1 and "scanned pages will be skipped" in done.stderr


def test_a_page_metres_wide_is_rendered_within_bounds(tmp_path: Path) -> None:
    import pypdfium2
    from fpdf import FPDF

    from assistant.ingest.ocr import MAX_SIDE_PX, render_page

    pdf = FPDF(format=(5000, 2500))  # millimetres: at 300 dpi this page would be 59,000 pixels wide
    pdf.add_page()
    pdf.output(str(tmp_path / "poster.pdf"))
    image = render_page(pypdfium2.PdfDocument(tmp_path / "poster.pdf"), 0)
    assert max(image.size) <= MAX_SIDE_PX and image.size[0] > 2 * image.size[1] - 10


@needs_ocr
def test_a_scanned_page_in_cyrillic_is_read_in_russian_and_ukrainian(tmp_path: Path) -> None:
    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not font.is_file() or not {"rus", "ukr"} <= set(installed_languages("tesseract")):
        pytest.skip("needs the DejaVu font and Tesseract's Russian and Ukrainian data")
    russian = (
        "Настоящий протокол имеет целью предупреждение незаконного ввоза мигрантов и борьбу с ним, "
        "а также поощрение сотрудничества между государствами-участниками в достижении этих целей."
    )
    pdf = write_scanned_pdf(tmp_path / "protocol.pdf", [russian], font=font)
    [document] = load_file(pdf, "protocol.pdf")
    assert document.ocr_pages == (1,)
    assert "незаконного ввоза мигрантов" in document.text
    assert text_quality(document.text).script == "Cyrillic"
