"""The chat's HTML, the source panel and the documents table, rendered from Answers directly."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from assistant.output import render
from assistant.types import Answer, Chunk, Citation, Hit, Statement

KYIV = (
    "On 17-18 October, the Expert Meeting took place in Kyiv. The event was co-hosted by Ukraine and "
    "Lithuania with the support of the European Commission."
)
SPAN = (KYIV.index("The event"), KYIV.index("Commission.") + len("Commission."))


def chunk(id: str = "c1", text: str = KYIV, **meta: object) -> Chunk:
    fields = dict(
        source="000_meeting.txt",
        title="Expert Meeting (Kyiv)",
        organisation="EaP Panel",
        date="2017-10",
        page=3,
        section="Panel Meeting",
    )
    fields.update(meta)
    return Chunk(id=id, doc_id="d1", text=text, start=0, end=len(text), **fields)  # type: ignore[arg-type]


def cited_answer() -> Answer:
    c1, c2 = chunk("c1"), chunk("c2", "In 2016 alone 7,934 migrant deaths were recorded worldwide.", page=None)
    cite1 = Citation(1, "c1", c1.source, c1.title, 3, *SPAN)
    cite2 = Citation(2, "c2", c2.source, c2.title, None, 0, 20)
    return Answer(
        question="Who co-hosted the Expert Meeting in Kyiv?",
        statements=(
            Statement("Ukraine and Lithuania co-hosted the meeting.", (cite1,), "verified", 0.9),
            Statement("It was held <in> Kyiv & online.", (cite1, cite2), "unverified", 0.2),
        ),
        abstained=False,
        hits=(Hit(c1, 0.9, 1), Hit(c2, 0.5, 2)),
    )


def abstention() -> Answer:
    hits = tuple(Hit(chunk(f"c{i}", f"Passage number {i}. " * 30, title=f"Doc {i}"), 1 / i, i) for i in range(1, 8))
    return Answer("What is the GDP of Mars?", (), True, hits, reason="No passage states the GDP of Mars.")


def test_refs_round_trip_and_refuse_strangers() -> None:
    assert render.parse_ref(render.ref_href(3, "c", 12)) == render.SourceRef(3, "c", 12)
    assert render.parse_ref("#src-0-h5") == render.SourceRef(0, "h", 5)
    for bad in ("", "#top", "#src-x-c1", "javascript:alert(1)", "#src-1-z2"):
        assert render.parse_ref(bad) is None


@pytest.mark.parametrize(
    ("iso", "shown"),
    [("2017-10", "Oct 2017"), ("2014-06-11", "11 Jun 2014"), ("2019", "2019"), ("", ""), ("n.d.", "n.d.")],
)
def test_format_date(iso: str, shown: str) -> None:
    assert render.format_date(iso) == shown


def test_answer_links_every_citation_and_flags_unverified_statements() -> None:
    out = render.answer_html(cited_answer(), turn=2)
    assert out.count('href="#src-2-c1"') == 3  # two statements cite [1], and the sources list once
    assert out.count('href="#src-2-c2"') == 2
    verified, unverified = re.findall(r'<span class="stmt (\w+)">(.*?)</span>(?= |</p>)', out)
    assert verified[0] == "verified" and "flag" not in verified[1]
    assert unverified[0] == "unverified" and '<span class="flag"' in unverified[1] and "unverified</span>" in out
    assert "&lt;in&gt; Kyiv &amp; online" in out  # statement text is escaped, never markup
    assert 'class="legend"' in out
    # One HTML block without blank lines: the chat's Markdown renderer then leaves it untouched.
    assert "\n\n" not in out and out.startswith('<div class="answer">')


def test_streaming_shows_statements_one_by_one() -> None:
    answer = cited_answer()
    first = render.answer_html(answer, 0, upto=1)
    assert "Ukraine and Lithuania" in first and "held" not in first
    assert 'class="caret"' in first and 'class="sources"' not in first
    assert render.answer_html(answer, 0, upto=2) == render.answer_html(answer, 0)


def test_abstention_looks_different_and_lists_related_passages() -> None:
    out = render.abstention_html(abstention(), turn=1)
    assert 'class="answer abstained"' in out and "No answer found" in out
    assert "No passage states the GDP of Mars." in out
    links = re.findall(r'href="(#src-1-h\d+)"', out)
    assert links == [f"#src-1-h{i}" for i in range(1, render.RELATED_SHOWN + 1)]
    assert "…" in out  # long passages are cut to a snippet
    assert render.answer_html(abstention(), 1) == out


def test_abstention_with_unconfirmed_statements_shows_them_flagged() -> None:
    answer = replace(cited_answer(), abstained=True, reason="Nothing confirms an answer.")
    out = render.answer_html(answer, 0)
    assert 'class="answer abstained"' in out and "not confirmed" in out and "Nothing confirms an answer." in out
    assert 'class="stmt unverified"' in out and 'href="#src-0-c1"' in out and 'href="#src-0-h1"' in out


def test_abstention_without_passages_says_so() -> None:
    out = render.abstention_html(Answer("q", (), True, ()), 0)
    assert "No passage in the documents matches" in out and "<ol" not in out


def test_source_panel_highlights_the_supporting_span() -> None:
    turns = [("q0", abstention()), ("q1", cited_answer())]
    out = render.source_html(turns, render.parse_ref("#src-1-c1"), lambda c: "https://example.org/report")
    quoted = KYIV[SPAN[0] : SPAN[1]]
    assert f"<mark>{quoted}</mark>" in out
    assert "Citation [1]" in out and "Expert Meeting (Kyiv)" in out
    for shown in ("EaP Panel", "Oct 2017", "<dd>3</dd>", "000_meeting.txt", 'href="https://example.org/report"'):
        assert shown in out


def test_source_panel_for_a_related_passage_has_no_highlight() -> None:
    out = render.source_html([("q", abstention())], render.parse_ref("#src-0-h2"), lambda c: None)
    assert "Related passage 2" in out and "Doc 2" in out and "<mark>" not in out and "source-link" not in out


@pytest.mark.parametrize("ref", [None, "#src-5-c1", "#src-0-c9", "#src-0-h99"])
def test_source_panel_survives_stale_or_missing_refs(ref: str | None) -> None:
    out = render.source_html([("q", cited_answer())], render.parse_ref(ref) if ref else None, lambda c: None)
    assert 'class="source-panel' in out and "<mark>" not in out


def test_highlight_escapes_and_clamps() -> None:
    assert render.highlight("a <b> c", (2, 5)) == "a <mark>&lt;b&gt;</mark> c"
    assert render.highlight("abc", (1, 99)) == "a<mark>bc</mark>"
    assert render.highlight("abc", (2, 2)) == "abc"
    assert render.highlight("a&b", None) == "a&amp;b"


def test_only_web_and_relative_links_are_offered() -> None:
    assert render.safe_link("https://www.iom.int") and render.safe_link("gradio_api/file=/corpus/a.txt")
    assert not render.safe_link("javascript:alert(1)") and not render.safe_link("file:///etc/passwd")
    out = render.passage_html(chunk(), None, "javascript:alert(1)")
    assert "javascript" not in out


def doc(title: str, organisation: str, date: str, pages: int, chunks: int, source: str) -> dict[str, object]:
    return dict(title=title, organisation=organisation, date=date, pages=pages, chunks=chunks, source=source)


DOCS = [
    doc("Zeta report", "IOM", "2014-06", 12, 30, "z.pdf"),
    doc("alpha note", "ICMPD", "2019-03-02", 0, 4, "feed.txt"),
    doc("beta item", "ICMPD", "2019-03-05", 0, 2, "feed.txt"),
    doc("Undated", "", "", 0, 1, "u.md"),
]


def test_documents_table_and_summary() -> None:
    rows = render.documents_rows(DOCS)
    assert [r[0] for r in rows] == ["alpha note", "beta item", "Undated", "Zeta report"]
    assert rows[-1] == ["Zeta report", "IOM", "Jun 2014", 12, 30, "z.pdf"]
    assert render.documents_summary(DOCS) == "4 documents from 3 files, 37 passages indexed."


def test_filter_choices_and_filters() -> None:
    files, orgs, years = render.filter_choices(DOCS)
    assert files == [("alpha note", "feed.txt"), ("Undated", "u.md"), ("Zeta report", "z.pdf")]
    assert orgs == ["ICMPD", "IOM"] and years == ["2019", "2014"]
    filters = render.make_filters(["z.pdf"], None, ["2014"])
    assert filters.sources == {"z.pdf"} and not filters.organisations and filters.years == {"2014"}
    assert not render.make_filters([], [], [])


def test_upload_status_names_added_and_refused_files() -> None:
    out = render.upload_status_html(["uploads/note.txt"], [("evil.exe", ".exe files are not accepted")])
    assert "Added 1 file(s)" in out and "uploads/note.txt" in out
    assert '<li class="rejected"><strong>evil.exe</strong>: .exe files are not accepted</li>' in out
    assert "No file received" in render.upload_status_html([], [])


def test_real_answer_renders_with_working_links(assistant) -> None:  # type: ignore[no-untyped-def]
    answer = assistant.ask("Who co-hosted the Expert Meeting in Kyiv?")
    out = render.answer_html(answer, 0)
    refs = [render.parse_ref(h) for h in re.findall(r'href="(#src-[^"]+)"', out)]
    assert refs and all(refs)
    panel = render.source_html([(answer.question, answer)], refs[0], lambda c: None)
    assert "Lithuania" in panel  # the first link opens the passage that names the co-hosts
