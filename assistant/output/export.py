"""Export answers (one or a whole conversation) as Markdown or DOCX with numbered footnotes.

The input is a list of (question, Answer) turns, so one answer, a chat and a briefing note share it.
Footnotes are numbered in reading order across the document; a passage quoted again reuses its number.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape as xml_escape

import docx
from docx.document import Document as DocxDocument
from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph

from assistant.output.render import format_date
from assistant.output.text import page_label
from assistant.types import Support, Turn

QUOTE_MAX_CHARS = 400  # a supporting span is a sentence or two; longer ones are cut for the footnote
RELATED_LISTED = 3
SUPPORT_NOTES: dict[str, str] = {"unverified": "unverified", "contradicted": "contradicted by the cited source"}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not allowed in XML, so not in a DOCX either


@dataclass(frozen=True, slots=True)
class Footnote:
    """A numbered reference to the span of a passage that supports a statement."""

    n: int
    title: str
    organisation: str
    date: str
    page: int | None
    quote: str
    source: str
    url: str = ""
    ocr: bool = False  # the page was read by OCR: "p. 3 (OCR)"

    def text(self) -> str:
        """Return the note as one line: title, organisation, date, page, then the quoted span."""
        page = page_label(self.page, self.ocr)
        where = ", ".join(p for p in (self.organisation, format_date(self.date), page) if p)
        line = f"{self.title or self.source or 'Untitled document'}."
        if where:
            line += f" {where}."
        if self.quote:
            line += f" “{self.quote}”"
        if self.url:
            line += f" {self.url}"
        return line


@dataclass(frozen=True, slots=True)
class NotedStatement:
    text: str
    notes: tuple[int, ...]  # footnote numbers, in citation order
    support: Support


@dataclass(frozen=True, slots=True)
class NotedTurn:
    question: str
    statements: tuple[NotedStatement, ...]
    abstained: bool
    reason: str
    related: tuple[str, ...]  # "Title, p. 3" of the closest passages, for abstentions


def footnoted(turns: Sequence[Turn]) -> tuple[list[NotedTurn], list[Footnote]]:
    """Return the turns with citations replaced by footnote numbers, and the footnotes in order."""
    numbers: dict[tuple[str, int, int], int] = {}
    notes: list[Footnote] = []
    noted_turns = []
    for question, answer in turns:
        chunks = {hit.chunk.id: hit.chunk for hit in answer.hits}
        statements = []
        for statement in answer.statements:
            ids: list[int] = []
            for c in statement.citations:
                key = (c.chunk_id, c.start, c.end)
                if key not in numbers:
                    chunk = chunks.get(c.chunk_id)
                    quote = clean_text(chunk.text[c.start : c.end]) if chunk else ""
                    if len(quote) > QUOTE_MAX_CHARS:
                        quote = quote[: QUOTE_MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"
                    numbers[key] = len(notes) + 1
                    notes.append(
                        Footnote(
                            n=numbers[key],
                            title=clean_text((chunk.title if chunk else "") or c.title),
                            organisation=clean_text(chunk.organisation) if chunk else "",
                            date=chunk.date if chunk else "",
                            page=c.page,
                            quote=quote,
                            source=c.source,
                            url=chunk.url if chunk else "",
                            ocr=c.ocr,
                        )
                    )
                if numbers[key] not in ids:
                    ids.append(numbers[key])
            statements.append(NotedStatement(clean_text(statement.text), tuple(ids), statement.support))
        # dict.fromkeys: several passages of one document are named once.
        related = tuple(
            dict.fromkeys(
                _related_ref(h.chunk.title or h.chunk.source, h.chunk.page, h.chunk.ocr, h.chunk.last_page)
                for h in answer.hits[:RELATED_LISTED]
            )
        )
        noted_turns.append(
            NotedTurn(clean_text(question), tuple(statements), answer.abstained, clean_text(answer.reason), related)
        )
    return noted_turns, notes


def clean_text(text: str) -> str:
    """Return `text` on one line, without the control characters that XML forbids."""
    return " ".join(_CONTROL.sub(" ", text).split())


def default_title(turns: Sequence[Turn]) -> str:
    return "Answer" if len(turns) == 1 else "Conversation"


def _intro(exported: dt.date) -> str:
    return (
        f"Exported {exported.isoformat()} from the policy-question assistant. Every statement is drawn from "
        "the indexed documents and footnoted with the passage that supports it; statements marked "
        "(unverified) are not confirmed by that passage."
    )


def _abstention(turn: NotedTurn) -> str:
    return "No answer found in the documents. " + (turn.reason or "")


def escape_md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def to_markdown(turns: Sequence[Turn], title: str | None = None, exported: dt.date | None = None) -> str:
    """Return the turns as Markdown with footnotes ([^n]); unverified statements are marked in italics."""
    noted, notes = footnoted(turns)
    lines = [f"# {escape_md(title or default_title(turns))}", "", f"*{_intro(exported or dt.date.today())}*", ""]
    for i, turn in enumerate(noted, start=1):
        number = f"{i}. " if len(noted) > 1 else ""
        lines += [f"## {number}{escape_md(turn.question)}", ""]
        if turn.abstained:
            lines += [f"> **{escape_md(_abstention(turn).strip())}**", ""]
        sentences = []
        for s in turn.statements:
            marks = "".join(f"[^{n}]" for n in s.notes)
            flag = f" *({SUPPORT_NOTES[s.support]})*" if s.support in SUPPORT_NOTES else ""
            sentences.append(f"{escape_md(s.text)}{marks}{flag}")
        if sentences:
            lines += [" ".join(sentences), ""]
        if turn.abstained and turn.related:
            lines += ["Closest related passages: " + "; ".join(escape_md(r) for r in turn.related) + ".", ""]
        elif turn.reason and not turn.abstained:
            lines += [f"*{escape_md(turn.reason)}*", ""]
    if notes:
        lines += ["---", ""]
        for note in notes:  # a blank line between definitions: some renderers join adjacent ones
            lines += [f"[^{note.n}]: {escape_md(note.text())}", ""]
    return "\n".join(lines)


def to_docx(turns: Sequence[Turn], title: str | None = None, exported: dt.date | None = None) -> bytes:
    """Return the turns as a Word document with real footnotes; unverified statements are marked."""
    noted, notes = footnoted(turns)
    document = docx.Document()
    document.styles["Normal"].font.size = Pt(11)
    document.add_heading(title or default_title(turns), level=0)
    intro = document.add_paragraph().add_run(_intro(exported or dt.date.today()))
    intro.italic = True
    intro.font.size = Pt(9)
    referenced: set[int] = set()
    for i, turn in enumerate(noted, start=1):
        document.add_heading((f"{i}. " if len(noted) > 1 else "") + turn.question, level=2)
        if turn.abstained:
            document.add_paragraph().add_run(_abstention(turn).strip()).bold = True
        if turn.statements:
            _add_statements(document.add_paragraph(), turn.statements, referenced)
        if turn.abstained and turn.related:
            document.add_paragraph("Closest related passages: " + "; ".join(turn.related) + ".")
        elif turn.reason and not turn.abstained:
            document.add_paragraph().add_run(turn.reason).italic = True
    if notes:
        add_footnotes_part(document, [(note.n, note.text()) for note in notes])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _add_statements(paragraph: Paragraph, statements: Sequence[NotedStatement], referenced: set[int]) -> None:
    """Append the statements with their footnote marks; unverified ones are flagged in amber italics."""
    for s in statements:
        paragraph.add_run(s.text)
        for n in s.notes:
            add_note_mark(paragraph, n, first=n not in referenced)
            referenced.add(n)
        if s.support in SUPPORT_NOTES:
            flag = paragraph.add_run(f" ({SUPPORT_NOTES[s.support]})")
            flag.italic = True
            flag.font.color.rgb = RGBColor(0xB4, 0x53, 0x09)
        paragraph.add_run(" ")


def add_note_mark(paragraph: Paragraph, n: int, first: bool) -> None:
    """Append footnote mark `n`: a real footnote reference the first time, the same number after."""
    run = paragraph.add_run()
    run.font.superscript = True
    if first:
        # Word numbers footnote references in reading order, which is how `footnoted` numbers them.
        ref = OxmlElement("w:footnoteReference")
        ref.set(qn("w:id"), str(n))
        run._r.append(ref)
    else:
        # A footnote may be referenced only once; a repeated citation repeats its number as plain text.
        run.text = str(n)


def add_footnotes_part(document: DocxDocument, notes: Sequence[tuple[int, str]]) -> None:
    """Add word/footnotes.xml holding `notes` (number, plain text) and declare it in the settings.

    python-docx has no footnote API. The briefing-note export uses this too.
    """
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = [
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>',
        '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p>'
        "</w:footnote>",
    ]
    for n, text in notes:  # rPr children keep the schema's order (sz before vertAlign), or Word may refuse the file
        body.append(
            f'<w:footnote w:id="{n}"><w:p><w:pPr><w:spacing w:after="0"/></w:pPr>'
            '<w:r><w:rPr><w:sz w:val="18"/><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteRef/></w:r>'
            f'<w:r><w:rPr><w:sz w:val="18"/></w:rPr><w:t xml:space="preserve"> {xml_escape(text)}</w:t></w:r>'
            "</w:p></w:footnote>"
        )
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:footnotes xmlns:w="{w}">{"".join(body)}</w:footnotes>'
    )
    main_part = document.part
    part = Part(PackURI("/word/footnotes.xml"), CONTENT_TYPE.WML_FOOTNOTES, xml.encode("utf-8"), main_part.package)
    main_part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES)
    settings = document.settings.element
    footnote_pr = OxmlElement("w:footnotePr")
    for special in ("-1", "0"):
        ref = OxmlElement("w:footnote")
        ref.set(qn("w:id"), special)
        footnote_pr.append(ref)
    compat = settings.find(qn("w:compat"))
    # CT_Settings is an ordered sequence: footnotePr belongs just before compat.
    if compat is not None:
        compat.addprevious(footnote_pr)
    else:
        settings.append(footnote_pr)


def _related_ref(title: str, page: int | None, ocr: bool, last: int | None) -> str:
    """Return "Title, p. 3" (or "p. 3 (OCR)", "pp. 3–4" across a page break) naming a related passage."""
    return ", ".join(p for p in (clean_text(title), page_label(page, ocr, last)) if p)
