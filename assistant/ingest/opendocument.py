"""The OpenDocument text loader: an .odt's paragraphs, headings, lists, tables (as row lines) and notes, in order.

The text is laid out as the Word loader (ingest/office.py) lays out a .docx, so both chunk and cite alike.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from assistant.errors import LoadError
from assistant.ingest.tables import bounded, table_lines
from assistant.ingest.zipcheck import open_zip

KIND = "OpenDocument .odt"
# Every ODF package holds a manifest (ODF 1.2, part 3, 3.2); it also says which parts are encrypted, and an
# ODF 1.3 package encrypted whole holds no content.xml, so the manifest is what is asked for first.
_MANIFEST = "META-INF/manifest.xml"
_MANIFEST_NS = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"
_MIMETYPE_PREFIX = "application/vnd.oasis.opendocument."
# .odt, and the template (.ott) and master document (.odm) variants, which hold the same body.
_TEXT_TYPES = frozenset({"text", "text-template", "text-master"})
# Generated lists repeat the document's headings and entries; tracked changes hold deleted text.
_SKIPPED_BLOCKS = frozenset(
    {
        "text:table-of-content",
        "text:illustration-index",
        "text:table-index",
        "text:object-index",
        "text:user-index",
        "text:alphabetical-index",
        "text:bibliography",
        "text:tracked-changes",
    }
)
# Inside a paragraph: comments, drawings (text boxes, captions) and the cached labels of numbered lists are not
# its text, as python-docx leaves them out of a Word paragraph; notes go to the end of the document.
_SKIPPED_INLINE = frozenset({"office:annotation", "draw:frame", "draw:a", "text:number"})
_TITLE_STYLE = "Title"
# Other producers' extension elements: ODF readers read their content as if their tags were not there.
_FOREIGN = ""
# A row or cell that repeats its neighbour is written once with a count. Text tables are a few dozen columns
# wide; a count far past that is a file built to unpack into millions of cells.
_MAX_REPEAT = 1_000
# A note is a sentence or a paragraph; a table in one is bounded like any table.
_MAX_NOTE_CHARS = 100_000


def odt_text(raw: bytes, max_chars: int) -> tuple[str, str]:
    """Return (title, text) of the .odt bytes `raw`: blocks separated by blank lines, headings on lines of their own.

    Raise LoadError with a one-line reason when the file is damaged, encrypted, not an OpenDocument text or
    its text is over `max_chars`.
    """
    from odfdo import Document

    package = open_zip(raw, KIND, _MANIFEST)
    _refuse_encrypted(package)
    _refuse_other_types(package)
    footnotes: list[str] = []
    endnotes: list[str] = []
    try:
        document = Document(io.BytesIO(raw))
        titles = _title_styles(document)
        blocks: list[str] = []
        used = 0
        for block in _blocks(document.body, titles, (footnotes, endnotes), max_chars):
            used += len(block) + 2
            if used > max_chars:
                raise LoadError(f"text too long (over {max_chars:,} characters): split the file")
            blocks.append(block)
        title = (document.meta.title or "").strip() if "meta.xml" in package.namelist() else ""
    except LoadError:
        raise
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
        reason = " ".join(str(exc).split())[:80]  # one line, whatever the parser said
        raise LoadError(f"damaged {KIND} file ({type(exc).__name__}: {reason})") from None
    except Exception as exc:  # lxml and odfdo raise ad-hoc types on damaged XML; none may stop an ingest
        raise LoadError(f"damaged {KIND} file ({type(exc).__name__})") from None
    for heading, notes in (("Footnotes", footnotes), ("Endnotes", endnotes)):
        if notes:
            blocks.append(heading)
            blocks.extend(f"[{n}] {note}" for n, note in enumerate(notes, 1))
    text = "\n\n".join(b for b in blocks if b)
    if not text.strip():
        raise LoadError("OpenDocument text file has no text")
    return title, text


def _refuse_encrypted(package: zipfile.ZipFile) -> None:
    """Raise LoadError when the manifest lists encrypted parts (a password set in LibreOffice or Word)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(_read(package, _MANIFEST), parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise LoadError(f"damaged {KIND} file (unreadable manifest: {type(exc).__name__})") from None
    # The zip itself is plain: each encrypted part carries an <encryption-data> entry with its key's recipe.
    if next(root.iter(f"{_MANIFEST_NS}encryption-data"), None) is not None:
        raise LoadError(f"encrypted {KIND} file (saved with a password); save a copy without the password")


def _refuse_other_types(package: zipfile.ZipFile) -> None:
    """Raise LoadError unless the package's mimetype is an OpenDocument text (an .ods renamed .odt is not)."""
    names = package.namelist()
    if "content.xml" not in names:
        raise LoadError(f"not an {KIND} file (the zip holds no content.xml); is it misnamed?")
    mimetype = _read(package, "mimetype").decode("ascii", "replace").strip() if "mimetype" in names else ""
    kind = mimetype.removeprefix(_MIMETYPE_PREFIX) if mimetype.startswith(_MIMETYPE_PREFIX) else ""
    if kind not in _TEXT_TYPES:
        if kind:
            found = f"an OpenDocument {kind[:40]}"
        else:
            found = f"its type is {mimetype[:60]!r}" if mimetype else "the zip holds no mimetype"
        raise LoadError(f"not an OpenDocument text file ({found}); is it misnamed?")


def _read(package: zipfile.ZipFile, name: str) -> bytes:
    """Return the bytes of the member `name`; raise LoadError when they cannot be unpacked."""
    try:
        return package.read(name)
    except Exception as exc:  # damaged packed data raises zlib.error, EOFError, BadZipFile, NotImplementedError...
        raise LoadError(f"damaged {KIND} file (unreadable {name}: {type(exc).__name__})") from None


def _title_styles(document: Any) -> frozenset[str]:
    """Return the paragraph style names that mean "Title": the style itself and the automatic styles based on it."""
    derived = document.content.get_elements(
        f"//office:automatic-styles/style:style[@style:parent-style-name='{_TITLE_STYLE}']"
    )
    return frozenset({_TITLE_STYLE, *(style.get_attribute_string("style:name") or "" for style in derived)})


def _blocks(parent: Any, titles: frozenset[str], notes: tuple[list[str], list[str]], max_chars: int) -> Iterator[str]:
    """Yield the text blocks of the body element `parent` in order, adding the notes met to `notes`."""
    for child in parent.children:
        tag = _tag(child)
        if tag in ("text:p", "text:h"):
            text = _inline(child, notes).strip()
            if tag == "text:h" or child.get_attribute_string("text:style-name") in titles:
                # A heading line without closing punctuation is what the chunker takes for a section title;
                # the outline level is not written, as a .docx's Heading n are all plain section lines.
                text = text.rstrip(":.").strip()
            if text:
                yield text
        elif tag in ("text:list", "text:numbered-paragraph"):
            yield from _list_items(child, titles, notes, max_chars)
        elif tag == "table:table":
            yield "\n".join(bounded(table_lines(_rows(child, titles, notes, max_chars)), max_chars))
        elif tag in ("text:section", _FOREIGN):
            yield from _blocks(child, titles, notes, max_chars)
        # Anything else (generated indexes, tracked changes, forms, declarations, page-anchored frames) is not text.


def _list_items(
    element: Any, titles: frozenset[str], notes: tuple[list[str], list[str]], max_chars: int
) -> Iterator[str]:
    """Yield a list's items as "- text" bullets, nested lists flattened; an item's later paragraphs stay plain."""
    items = [element] if _tag(element) == "text:numbered-paragraph" else element.children
    for item in items:
        if _tag(item) not in ("text:list-item", "text:list-header", "text:numbered-paragraph"):
            continue
        # _blocks yields a nested list's items as bullets already.
        for index, block in enumerate(_blocks(item, titles, notes, max_chars)):
            yield f"- {block}" if index == 0 and not block.startswith("- ") else block


def _rows(
    table: Any, titles: frozenset[str], notes: tuple[list[str], list[str]], max_chars: int
) -> Iterator[list[str]]:
    """Yield the cell texts of each row of `table`, header rows first, one per column.

    A cell merged across columns counts once (its covered cells are empty); a cell merged down rows repeats
    its text in the rows it covers, as python-docx does for Word, which keeps each row's label.
    """
    down: dict[int, tuple[str, int]] = {}  # column -> (text of the cell merged down, rows it still covers)
    for row in _table_rows(table):
        cells: list[str] = []
        for cell in row.children:
            tag = _tag(cell)
            if tag == "table:table-cell":
                text = " ".join(_blocks(cell, titles, notes, max_chars))
                span = _count(cell, "table:number-rows-spanned")
                if span > 1:
                    down[len(cells)] = (text, span - 1)
            elif tag == "table:covered-table-cell":
                text, left = down.get(len(cells), ("", 0))
                if left:
                    down[len(cells)] = (text, left - 1)
            else:
                continue
            cells.extend([text] * _count(cell, "table:number-columns-repeated"))
        for _ in range(_count(row, "table:number-rows-repeated")):
            yield cells


def _table_rows(element: Any) -> Iterator[Any]:
    """Yield the table:table-row elements of a table in order, through header rows, row groups and row sets."""
    for child in element.children:
        tag = _tag(child)
        if tag == "table:table-row":
            yield child
        elif tag in ("table:table-header-rows", "table:table-rows", "table:table-row-group"):
            yield from _table_rows(child)


def _tag(element: Any) -> str:
    """Return the element's qualified name ("text:p"); _FOREIGN for one in a namespace that ODF does not define."""
    try:
        return str(element.tag)
    except ValueError:  # odfdo knows no prefix for the namespace
        return _FOREIGN


def _count(element: Any, attribute: str) -> int:
    """Return a repeat or span count of `element`: 1 when absent or invalid, at most _MAX_REPEAT."""
    return min(max(element.get_attribute_integer(attribute) or 1, 1), _MAX_REPEAT)


def _inline(element: Any, notes: tuple[list[str], list[str]]) -> str:
    """Return the text of a paragraph-level element; its notes' texts go to `notes` (footnotes, endnotes)."""
    parts = [element.text]
    for child in element.children:
        tag = _tag(child)
        if tag == "text:note":
            body = child.get_element("text:note-body")
            text = " ".join(_blocks(body, frozenset(), notes, _MAX_NOTE_CHARS)) if body is not None else ""
            if text:
                target = notes[1] if child.get_attribute_string("text:note-class") == "endnote" else notes[0]
                target.append(text)
        elif tag == "text:s":
            # The space count is not multiplied out: "<text:s text:c='999999999'/>" would be a gigabyte of spaces.
            parts.append(" ")
        elif tag == "text:tab":
            parts.append("\t")
        elif tag == "text:line-break":
            parts.append("\n")
        elif tag not in _SKIPPED_INLINE:
            parts.append(_inline(child, notes))
        parts.append(child.tail or "")
    return "".join(parts)
