"""Briefing note -> Markdown, and Markdown -> DOCX with real footnotes.

Markdown is the note's editable form (the UI lets staff edit it before download), so the DOCX is made
from the Markdown rather than from the note: what was edited is what gets exported. The converter reads
the small dialect `to_markdown` writes (headings, bullets, paragraphs, *italic*, **bold**, `[^n]` marks
and their definitions) and takes anything else as plain text.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import docx
from docx.shared import Pt
from docx.text.paragraph import Paragraph

from assistant.briefing.draft import NOT_COVERED, BriefingNote, Reference
from assistant.errors import AssistantError
from assistant.output.export import QUOTE_MAX_CHARS, Footnote, add_footnotes_part, add_note_mark, clean_text, escape_md
from assistant.output.render import format_date
from assistant.types import Filters

SOURCES = "Sources"
MARKDOWN_SUFFIXES = (".md", ".markdown")


# ---------------------------------------------------------------- note -> Markdown


def footnote_text(ref: Reference) -> str:
    """Return the footnote as one line: title, organisation, date, page, then the quoted span."""
    quote = clean_text(ref.quote)
    if len(quote) > QUOTE_MAX_CHARS:  # same cut as the chat export, so both read alike
        quote = quote[: QUOTE_MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return Footnote(
        ref.n, clean_text(ref.title), clean_text(ref.organisation), ref.date, ref.page, quote, ref.source, ref.url
    ).text()


def describe_filters(filters: Filters) -> str:
    """Return the filters as "organisations: IOM; years: 2017", or "" when there are none."""
    parts = [
        (label, sorted(values))
        for label, values in (
            ("documents", filters.sources),
            ("organisations", filters.organisations),
            ("years", filters.years),
        )
        if values
    ]
    return "; ".join(f"{label}: {', '.join(values)}" for label, values in parts)


def to_markdown(note: BriefingNote) -> str:
    """Return the note as Markdown: sections of bullets with [^n] footnotes, gaps, sources, footnotes."""
    scope = describe_filters(note.filters)
    lines = [
        f"# Briefing note: {escape_md(note.topic)}",
        "",
        f"*Drafted {note.drafted} by the policy-question assistant from {_count(len(note.sources), 'document')}"
        + (f" ({escape_md(scope)})" if scope else "")
        + ". Every statement is quoted from the documents and footnoted with the passage that supports it; "
        "statements the assistant could not verify against their passage were left out.*",
        "",
    ]
    for section in note.sections:
        lines += [f"## {escape_md(section.heading)}", ""]
        for bullet in section.bullets:
            sentences = [escape_md(s.text) + "".join(f"[^{c.n}]" for c in s.citations) for s in bullet.statements]
            lines.append("- " + " ".join(sentences))
        lines.append("")
    if note.not_covered:
        lines += [f"## {NOT_COVERED}", ""]
        lines += [
            f"- **{escape_md(g.heading)}** ({escape_md(g.question)}): {escape_md(g.reason)}" for g in note.not_covered
        ]
        lines.append("")
    if note.sources:
        lines += [f"## {SOURCES}", ""]
        for doc in note.sources:
            where = ", ".join(p for p in (clean_text(doc.organisation), format_date(doc.date)) if p)
            notes = ", ".join(str(n) for n in doc.notes)
            entry = f"{escape_md(clean_text(doc.title) or doc.source)}." + (f" {escape_md(where)}." if where else "")
            entry += f" File: {escape_md(doc.source)}." + (f" {escape_md(doc.url)}" if doc.url else "")
            lines.append(f"- {entry} Footnote{'s' if len(doc.notes) > 1 else ''} {notes}.")
        lines.append("")
    if note.references:
        lines += ["---", ""]
        for ref in note.references:  # a blank line between definitions: some renderers join adjacent ones
            lines += [f"[^{ref.n}]: {escape_md(footnote_text(ref))}", ""]
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# ---------------------------------------------------------------- Markdown -> blocks

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")
_DEFINITION = re.compile(r"^\[\^([^\]\s]+)\]:\s*(.*)$")
# Inline: a backslash escape, a footnote mark, a bold or italic marker, or `code`.
_INLINE = re.compile(r"\\([\\`*_\[\]<>#|{}()+\-.!~])|\[\^([^\]\s]+)\]|(\*\*|\*)|`([^`]*)`")


@dataclass(frozen=True, slots=True)
class Block:
    kind: str  # heading | bullet | numbered | paragraph
    text: str
    level: int = 0  # heading level, 1 for "#"


def parse_markdown(md: str) -> tuple[list[Block], dict[str, str]]:
    """Return the blocks of `md` in order, and its footnote definitions by label."""
    blocks: list[Block] = []
    definitions: dict[str, str] = {}
    open_block: Block | None = None  # a paragraph or list item that the next lines may continue
    open_label: str | None = None  # a footnote definition that indented lines continue
    for raw in md.splitlines():
        line = raw.rstrip()
        if not line.strip():
            open_block, open_label = None, None
            continue
        if open_label is not None and raw[:1].isspace():
            definitions[open_label] += " " + line.strip()
            continue
        if match := _DEFINITION.match(line):
            open_block, open_label = None, match.group(1)
            definitions[open_label] = match.group(2).strip()
            continue
        open_label = None
        if match := _HEADING.match(line):
            blocks.append(Block("heading", match.group(2), len(match.group(1))))
            open_block = None
        elif _RULE.match(line):
            open_block = None
        elif match := (_BULLET.match(line) or _NUMBERED.match(line)):
            kind = "bullet" if _BULLET.match(line) else "numbered"
            open_block = Block(kind, match.group(1).strip())
            blocks.append(open_block)
        elif open_block is not None:  # a wrapped line continues the paragraph or item above
            open_block = Block(open_block.kind, f"{open_block.text} {line.strip()}")
            blocks[-1] = open_block
        else:
            open_block = Block("paragraph", line.strip())
            blocks.append(open_block)
    return blocks, definitions


def plain(text: str) -> str:
    """Return inline Markdown as plain text: escapes resolved, emphasis markers and footnote marks dropped."""

    def one(match: re.Match[str]) -> str:
        escaped, _, _, code = match.groups()
        return escaped or code or ""

    return _INLINE.sub(one, text).strip()


# ---------------------------------------------------------------- blocks -> DOCX


def markdown_to_docx(md: str) -> bytes:
    """Return the Markdown note as a Word document with headings, bullets and real footnotes."""
    blocks, definitions = parse_markdown(md)
    # Word numbers footnotes by first reference in reading order, so the labels are renumbered that way:
    # an edited note whose footnotes were reordered or deleted still shows matching numbers.
    numbers: dict[str, int] = {}
    for block in blocks:
        for label in re.findall(r"(?<!\\)\[\^([^\]\s]+)\]", block.text):
            if label in definitions and label not in numbers:
                numbers[label] = len(numbers) + 1
    document = docx.Document()
    document.styles["Normal"].font.size = Pt(11)
    referenced: set[int] = set()
    for block in blocks:
        if block.kind == "heading":
            paragraph = document.add_heading("", level=min(block.level - 1, 3))
        elif block.kind == "bullet":
            paragraph = document.add_paragraph(style="List Bullet")
        elif block.kind == "numbered":
            paragraph = document.add_paragraph(style="List Number")
        else:
            paragraph = document.add_paragraph()
        _add_inline(paragraph, block.text, numbers, referenced)
    notes = sorted((n, plain(definitions[label])) for label, n in numbers.items())
    if notes:
        # A footnote here may have been edited in the Markdown: clean it as such.
        add_footnotes_part(document, [(n, clean_text(text)) for n, text in notes])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _add_inline(paragraph: Paragraph, text: str, numbers: dict[str, int], referenced: set[int]) -> None:
    """Append `text` as runs: emphasis applied, [^label] as a footnote mark, escapes resolved."""
    # An odd number of * markers is not emphasis but an edited sentence with a literal asterisk.
    markers = [m for m in _INLINE.finditer(text) if m.group(3)]
    emphasis = len(markers) % 2 == 0
    bold = italic = False
    buffer: list[str] = []

    def flush() -> None:
        if buffer:
            run = paragraph.add_run(_clean_keep_spaces("".join(buffer)))
            run.bold, run.italic = bold or None, italic or None
            buffer.clear()

    position = 0
    for match in _INLINE.finditer(text):
        buffer.append(text[position : match.start()])
        position = match.end()
        escaped, label, marker, code = match.groups()
        if escaped is not None:
            buffer.append(escaped)
        elif code is not None:
            buffer.append(code)
        elif label is not None:
            if label in numbers:
                flush()
                add_note_mark(paragraph, numbers[label], first=numbers[label] not in referenced)
                referenced.add(numbers[label])
            else:  # a mark without a definition stays visible for the editor to fix
                buffer.append(match.group(0))
        elif not emphasis:
            buffer.append(marker)
        else:
            flush()
            if marker == "**":
                bold = not bold
            else:
                italic = not italic
    buffer.append(text[position:])
    flush()


def _clean_keep_spaces(text: str) -> str:
    """Return `text` without the control characters XML forbids, keeping its spacing between runs."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", text)


# ---------------------------------------------------------------- files


def to_docx(note: BriefingNote) -> bytes:
    """Return the note as a Word document (made from its Markdown, like an edited note)."""
    return markdown_to_docx(to_markdown(note))


def write_markdown(md: str, path: Path) -> Path:
    """Write Markdown `md` to `path` as .md or .docx by its suffix; return the path."""
    suffix = path.suffix.lower()
    if suffix not in (*MARKDOWN_SUFFIXES, ".docx"):
        raise AssistantError(f"Cannot write {path.name}: name the file .docx or .md.")
    try:
        if suffix == ".docx":
            path.write_bytes(markdown_to_docx(md))
        else:
            path.write_text(md, encoding="utf-8")
    except OSError as exc:
        raise AssistantError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    return path


def write_note(note: BriefingNote, path: Path) -> Path:
    """Write the note to `path` as .md or .docx by its suffix; return the path."""
    return write_markdown(to_markdown(note), path)
