"""Loaders on real files: the seed corpus, generated PDFs, HTML, odd encodings and bad inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import LoadError
from assistant.ingest.catalog import load_catalog
from assistant.ingest.loaders import extract_page_markers, load_file
from tests.conftest import CORPUS
from tests.pdfs import write_pdf

PAGES = [
    "Chapter one. Smuggling networks adapt their routes quickly when borders close.",
    "Chapter two. In 2016 alone 7,934 migrant deaths were recorded world-\nwide by the agency.",
    "Chapter three. Regular pathways reduce the demand for smugglers.",
]


def test_pdf_keeps_page_numbers_and_drops_running_furniture(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "report.pdf", PAGES, header="ACME Migration Review 2019", footer="Page")
    [doc] = load_file(path, "report.pdf")
    assert doc.kind == "pdf"
    assert len(doc.page_spans) == 3
    assert "ACME Migration Review" not in doc.text
    assert "Page 2" not in doc.text
    assert doc.page_at(doc.text.index("Chapter two")) == 2
    assert doc.page_at(doc.text.index("Chapter three")) == 3
    assert "worldwide" in doc.text  # the hyphen at the line end was joined


BODY = [
    "An agent whose registration is cancelled must not be registered within 5 years.",
    "The Authority may caution a registered migration agent.",
    "Penalty: 60 penalty units.",
    "The Secretary must give the Commonwealth Ombudsman a report.",
    "This Part does not apply to a lawyer giving legal advice.",
]


def test_pdf_drops_a_deep_running_header_and_keeps_table_rows(tmp_path: Path) -> None:
    # An Act's header is six lines, the sixth the same on every page; a statistical annex's rows differ
    # from one another only in their digits and sit at the page's edge.
    pages = [
        f"Part 3 Migration agents\nDivision 5\nSection 30{n}\nMigration Act 1958 {80 + n}\n"
        f"Compilation No. 164 Compilation date: 21/02/2025\n{BODY[n - 1]}\n"
        f"0{n}/01/2020 RO-0135{n} Italy Tunisia 1{n}\n0{n}/02/2020 RO-0136{n} Italy Tunisia 2{n}"
        for n in range(1, 6)
    ]
    path = write_pdf(tmp_path / "act.pdf", pages)
    [doc] = load_file(path, "act.pdf")
    assert "Compilation No. 164" not in doc.text
    assert "Migration Act 1958 8" not in doc.text
    assert "Part 3 Migration agents" not in doc.text  # the same words heading every page
    for n in range(1, 6):
        assert f"RO-0135{n} Italy Tunisia 1{n}" in doc.text
        assert f"RO-0136{n} Italy Tunisia 2{n}" in doc.text
    for line in BODY:
        assert line in doc.text


def test_encrypted_pdf_with_empty_password_is_read(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "locked.pdf", PAGES, password="")
    [doc] = load_file(path, "locked.pdf")
    assert "7,934" in doc.text


def test_encrypted_pdf_with_password_is_reported(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "secret.pdf", PAGES, password="s3cret")
    with pytest.raises(LoadError, match="encrypted PDF"):
        load_file(path, "secret.pdf")


def test_corrupt_pdf_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage without xref\n%%EOF")
    with pytest.raises(LoadError, match="PDF"):
        load_file(path, "broken.pdf")


def test_empty_and_binary_files_are_reported(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(LoadError, match="empty file"):
        load_file(empty, "empty.txt")
    junk = tmp_path / "junk.txt"
    junk.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(LoadError, match="binary"):
        load_file(junk, "junk.txt")


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1", "utf-8-sig"])
def test_text_in_other_encodings_is_decoded(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "note.txt"
    path.write_bytes("Réunion à Genève sur la migration régulière et les passeurs.\n".encode(encoding))
    [doc] = load_file(path, "note.txt")
    assert doc.text == "Réunion à Genève sur la migration régulière et les passeurs."


def test_mojibake_in_a_text_file_is_undone_and_accents_and_quotes_are_kept(tmp_path: Path) -> None:
    # A scraped file saved after its UTF-8 was read as cp1252 (bullets twice over, as in a library document).
    right = "Réunion à Genève – it’s agreed: “regular pathways first."
    once = right.encode("utf-8").decode("cp1252")
    twice = "● safe returns".encode().decode("latin-1").encode("utf-8").decode("latin-1")
    path = tmp_path / "scraped.txt"
    path.write_text(f"{once}\n\nThen {twice}.\n", encoding="utf-8")
    [doc] = load_file(path, "scraped.txt")
    assert "Ã" not in doc.text and "â€" not in doc.text
    assert doc.text.startswith(right) and doc.text.endswith("Then ● safe returns.")


def test_html_drops_scripts_and_navigation_and_takes_title(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Border news</title><script>var x = 1;</script></head>"
        "<body><nav>Home | About</nav><h1>Border news</h1><p>Officers met in Chisinau.</p>"
        "<footer>Copyright</footer></body></html>",
        encoding="utf-8",
    )
    [doc] = load_file(path, "page.html")
    assert doc.title == "Border news"
    assert "Officers met in Chisinau." in doc.text
    assert "var x" not in doc.text and "Home | About" not in doc.text and "Copyright" not in doc.text


def test_markdown_markup_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text("# Title\n\n**Bold\nheading**\n\nA fact<sup>1</sup> with [a link](http://x.org).\n\n---\n", "utf-8")
    [doc] = load_file(path, "note.md")
    assert doc.text == "Title\n\nBold\nheading\n\nA fact with a link."


def test_unsupported_type_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "slides.pptx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(LoadError, match="unsupported file type .pptx; supported: .csv, .docx"):
        load_file(path, "slides.pptx")


def test_news_feed_is_split_into_items_with_title_date_and_url() -> None:
    catalog = load_catalog(CORPUS)
    source = "002_178f5eccc8992bf1.txt"
    docs = load_file(CORPUS / source, source, catalog[source])
    assert len(docs) == 10
    assert all(d.kind == "news-item" and d.organisation == "ICMPD" for d in docs)
    assert len({d.id for d in docs}) == 10
    first, last = docs[0], docs[-1]
    assert first.title.startswith('Project News: Kick-Off Event of the project "Swiss Support')
    assert first.url.startswith("https://www.icmpd.org//news-centre/news-detail/project-news-kick-off-event")
    assert first.date == "2019-03-21"
    assert first.text.startswith("On Monday, 11 March 2019, ICMPD launched")
    # Each item's own pubDate follows its body in the dump; the last item's is the file's last line.
    assert last.title.startswith("Project News:Combatting migrant smuggling")
    assert last.date == "2019-02-21"
    assert not last.text.endswith("+0100")
    assert "NEWS CENTRE TYPO3" not in "".join(d.text for d in docs)


def test_iom_transcription_drops_similar_documents_and_keeps_pages() -> None:
    source = "003_4f2ffe78ae97656e.txt"
    [doc] = load_file(CORPUS / source, source)
    assert "Similar documents" not in doc.text
    assert "BALI DECLARATION" not in doc.text
    assert doc.text.startswith("IOM s COMPREHENSIVE APPROACH TO COUNTER MIGRANT SMUGGLING")
    assert len(doc.page_spans) == 8
    assert doc.page_at(doc.text.index("PROMOTE RESEARCH AND DATA COLLECTION ON MIGRANT SMUGGLING To develop")) == 7
    assert "following four pillars:\n" in doc.text  # the trailing page number "2" is gone


def test_page_markers_need_a_run_of_consecutive_numbers() -> None:
    text = "Deaths rose to 7934\n\nThe year was 2016"
    assert extract_page_markers(text) == (text, ())


def test_catalog_metadata_reaches_documents() -> None:
    catalog = load_catalog(CORPUS)
    source = "004_d30333b4f892d254.txt"
    [doc] = load_file(CORPUS / source, source, catalog[source])
    assert doc.organisation == "IOM"
    assert doc.date == "2014-06"
    assert doc.title.startswith("Trans-regional Workshop")
    assert "**" not in doc.text and "<sup>" not in doc.text
