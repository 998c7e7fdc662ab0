"""Markdown and DOCX export: numbered footnotes with title, organisation, date, page and quote."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import docx

from assistant.output.export import footnoted, to_docx, to_markdown
from assistant.types import Answer, Chunk, Citation, Hit, Statement

TEXT = "The event was co-hosted by Ukraine and Lithuania with the support of the European Commission."
QUOTE = "co-hosted by Ukraine and Lithuania"
START = TEXT.index(QUOTE)
DEATHS = "According to IOM, in 2016 alone 7,934 migrant deaths were recorded worldwide.\x0c"
DAY = dt.date(2026, 11, 23)

kyiv = Chunk("c1", "d1", TEXT, 0, len(TEXT), 2, "", "000.txt", "Expert Meeting (Kyiv)", "EaP Panel", "2017-10", "")
deaths = Chunk(
    "c2", "d2", DEATHS, 0, len(DEATHS), None, "", "001.txt", "Concept Note", "IOM", "2017", "https://iom.int"
)
c_kyiv = Citation(1, "c1", "000.txt", kyiv.title, 2, START, START + len(QUOTE))
c_deaths = Citation(2, "c2", "001.txt", deaths.title, None, 0, len(DEATHS))


def first() -> tuple[str, Answer]:
    return "Who co-hosted the meeting?", Answer(
        "Who co-hosted the meeting?",
        (
            Statement("Ukraine and Lithuania co-hosted it.", (c_kyiv,), "verified"),
            Statement("IOM counted 7,934 deaths in 2016 *worldwide*.", (c_deaths,), "unverified"),
        ),
        False,
        (Hit(kyiv, 1.0, 1), Hit(deaths, 0.5, 2)),
    )


def second() -> tuple[str, Answer]:
    # The follow-up cites the Kyiv span again (as its own [1]): the document reuses footnote 1.
    again = Citation(1, "c1", "000.txt", kyiv.title, 2, START, START + len(QUOTE))
    return "And who supported it?", Answer(
        "And who supported it?",
        (Statement("The meeting had two co-hosts.", (again,), "verified"),),
        False,
        (Hit(kyiv, 1.0, 1),),
    )


def unanswerable() -> tuple[str, Answer]:
    return "What is the GDP of Mars?", Answer(
        "What is the GDP of Mars?", (), True, (Hit(deaths, 0.1, 1),), reason="No passage mentions Mars."
    )


def test_footnotes_are_numbered_in_reading_order_and_reused() -> None:
    turns, notes = footnoted([first(), second(), unanswerable()])
    assert [s.notes for s in turns[0].statements] == [(1,), (2,)]
    assert turns[1].statements[0].notes == (1,)
    assert [n.n for n in notes] == [1, 2]
    assert notes[0].quote == QUOTE and notes[0].organisation == "EaP Panel" and notes[0].page == 2
    assert notes[1].quote == DEATHS.replace("\x0c", "").strip()  # control characters never reach the XML
    assert turns[2].abstained and turns[2].related == ("Concept Note",)
    assert notes[0].text() == f"Expert Meeting (Kyiv). EaP Panel, Oct 2017, p. 2. “{QUOTE}”"


def test_markdown_has_footnotes_and_marks_unverified_statements() -> None:
    md = to_markdown([first(), second(), unanswerable()], exported=DAY)
    assert md.startswith("# Conversation\n") and "Exported 2026-11-23" in md
    assert "## 1. Who co-hosted the meeting?" in md and "## 3. What is the GDP of Mars?" in md
    assert "Ukraine and Lithuania co-hosted it.[^1] IOM counted" in md
    assert "in 2016 \\*worldwide\\*.[^2] *(unverified)*" in md  # Markdown in answers is escaped
    assert "The meeting had two co-hosts.[^1]" in md
    assert "No answer found in the documents. No passage mentions Mars." in md
    assert f"[^1]: Expert Meeting (Kyiv). EaP Panel, Oct 2017, p. 2. “{QUOTE}”" in md
    assert re.search(r"^\[\^2\]: Concept Note\. IOM, 2017\. “According to IOM.*” https://iom\.int$", md, re.M)
    assert md.count("[^1]:") == 1 and "[^3]" not in md


def test_abstention_keeps_its_unconfirmed_statements_marked() -> None:
    question, answer = first()
    answer = Answer(question, answer.statements[1:], True, answer.hits, reason="Not supported.")
    md = to_markdown([(question, answer)], exported=DAY)
    assert "> **No answer found in the documents. Not supported.**" in md
    assert "\\*worldwide\\*.[^1] *(unverified)*" in md and "Closest related passages: Expert Meeting (Kyiv)" in md
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(to_docx([(question, answer)]))).paragraphs)
    assert "No answer found" in text and "(unverified)" in text and "Closest related passages" in text


def test_single_answer_export_is_titled_answer() -> None:
    md = to_markdown([first()], exported=DAY)
    assert md.startswith("# Answer\n") and "## Who co-hosted the meeting?" in md


def test_docx_has_real_footnotes_and_marks() -> None:
    data = to_docx([first(), second(), unanswerable()], title="Briefing", exported=DAY)
    document = docx.Document(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Briefing" in text and "3. What is the GDP of Mars?" in text
    assert "Ukraine and Lithuania co-hosted it." in text and "(unverified)" in text
    assert "No answer found in the documents." in text and "Closest related passages: Concept Note." in text
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        body = z.read("word/document.xml").decode()
        notes = z.read("word/footnotes.xml").decode()
        types = z.read("[Content_Types].xml").decode()
        rels = z.read("word/_rels/document.xml.rels").decode()
        settings = z.read("word/settings.xml").decode()
    # Each footnote is referenced once; the follow-up's repeat of [1] is a plain superscript "1".
    assert re.findall(r'<w:footnoteReference w:id="(\d+)"/>', body) == ["1", "2"]
    assert re.search(r'<w:vertAlign w:val="superscript"/></w:rPr><w:t>1</w:t>', body)
    assert f"Expert Meeting (Kyiv). EaP Panel, Oct 2017, p. 2. “{QUOTE}”" in notes
    assert 'w:type="separator" w:id="-1"' in notes and 'w:id="2"' in notes
    assert "wordprocessingml.footnotes+xml" in types and "relationships/footnotes" in rels
    assert "<w:footnotePr>" in settings and settings.index("<w:footnotePr>") < settings.index("<w:compat>")


def test_docx_without_citations_has_no_footnotes_part() -> None:
    data = to_docx([unanswerable()], exported=DAY)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert "word/footnotes.xml" not in z.namelist()
