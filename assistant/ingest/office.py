"""The Word loader: a .docx's paragraphs, headings (as section lines), tables (as row lines) and footnotes, in order."""

from __future__ import annotations

import io
import zipfile

from assistant.errors import LoadError
from assistant.ingest.tables import table_lines
from assistant.ingest.zipcheck import open_zip

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_FOOTNOTES = "word/footnotes.xml"


def docx_text(raw: bytes) -> tuple[str, str]:
    """Return (title, text) of the .docx bytes `raw`: blocks separated by blank lines, headings on lines of their own.

    Raise LoadError with a one-line reason when the file is damaged, encrypted or not a Word package.
    """
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    package = open_zip(raw, "Word .docx", "word/document.xml")
    try:
        document = docx.Document(io.BytesIO(raw))
        blocks: list[str] = []
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                rows = table_lines(_row_cells(row) for row in item.rows)
                blocks.append("\n".join(rows))
                continue
            text = item.text.strip()
            if not text:
                continue
            style = (item.style.name if item.style is not None else "") or ""
            if style.startswith(("Heading", "Title")):
                # A heading line without closing punctuation is what the chunker takes for a section title.
                blocks.append(text.rstrip(":.").strip())
            elif style.startswith("List"):
                blocks.append(f"- {text}")
            else:
                blocks.append(text)
        title = (document.core_properties.title or "").strip()
        notes = _footnotes(package)
    except LoadError:
        raise
    except (PackageNotFoundError, KeyError, ValueError, AttributeError, zipfile.BadZipFile) as exc:
        raise LoadError(f"damaged Word .docx file ({type(exc).__name__}: {str(exc)[:80]})") from None
    except Exception as exc:  # lxml and python-docx raise ad-hoc types on damaged XML; none may stop an ingest
        raise LoadError(f"damaged Word .docx file ({type(exc).__name__})") from None
    if notes:
        blocks.append("Footnotes")
        blocks.extend(notes)
    text = "\n\n".join(b for b in blocks if b)
    if not text.strip():
        raise LoadError("Word file has no text")
    return title, text


def _row_cells(row: object) -> list[str]:
    """Return the texts of a Word table row, one per grid column; a cell merged across columns counts once.

    python-docx repeats a horizontally merged cell in each column it spans: its text would be quoted twice
    ("Total: 12 | Total: 12"). A vertically merged cell repeats down the rows, which keeps a row's label.
    """
    cells: list[str] = []
    previous = None
    for cell in row.cells:  # type: ignore[attr-defined]
        cells.append("" if cell._tc is previous else cell.text)
        previous = cell._tc
    return cells


def _footnotes(package: zipfile.ZipFile) -> list[str]:
    """Return the footnotes of the package as "[n] text" lines, numbered as Word shows them (python-docx has no API)."""
    from lxml import etree

    if _FOOTNOTES not in package.namelist():
        return []
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(package.read(_FOOTNOTES), parser)
    notes: list[str] = []
    for note in root.iter(f"{_W}footnote"):
        # Word's separator "footnotes" (ids -1 and 0) hold the rule drawn above the notes, not text.
        if note.get(f"{_W}type") in ("separator", "continuationSeparator", "continuationNotice"):
            continue
        paragraphs = ["".join(t.text or "" for t in p.iter(f"{_W}t")) for p in note.iter(f"{_W}p")]
        text = " ".join(p.strip() for p in paragraphs if p.strip())
        if text:
            notes.append(f"[{len(notes) + 1}] {text}")
    return notes
