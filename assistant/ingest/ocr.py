"""OCR of PDF pages: render a page with pypdfium2 and recognise its words with the Tesseract command."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

from assistant.errors import LoadError
from assistant.ingest.text_quality import text_quality

# The languages the install script provides (scripts/install-ocr.sh); only the installed ones are used.
LANGUAGES = ("eng", "fra", "spa", "rus", "ukr", "ara")
# Tesseract's script names (from its orientation and script detection) and the languages written in them.
_SCRIPT_LANGUAGES = {"Latin": ("eng", "fra", "spa"), "Cyrillic": ("rus", "ukr"), "Arabic": ("ara",)}
DPI = 300  # Tesseract reads body text best at 300 dpi; lower loses the small print of gazettes
# The longest side of a rendered page, in pixels: A3 at 300 dpi is 4,961. A PDF may declare a page metres
# wide, and rendering it at 300 dpi would take gigabytes; such a page is rendered smaller instead.
MAX_SIDE_PX = 7000
# One page of s01 takes 2.3 s with one thread and 11.0 s with Tesseract's default threads on this 2-core machine
# shared with other work (docs/ingest.md, "Scanned pages"): its OpenMP threads fight over the cores.
_THREADS = {"OMP_THREAD_LIMIT": "1"}
# PDFium is not thread-safe, and an upload's OCR (ingest) and the page view (the app's handler threads) both
# call it: every use of pypdfium2 holds this lock.
PDFIUM = threading.Lock()
_TIMEOUT_S = 180  # a page that takes longer is a damaged image, not text
# Function words that tell an English page from a French or Spanish one (read again with their data).
_ENGLISH = frozenset("the of and to is that for are with by this be".split())  # noqa: SIM905
_ROMANCE = frozenset("le la les des du et est une dans pour el los las del y por una con que".split())  # noqa: SIM905


@dataclass(frozen=True, slots=True)
class OcrWord:
    """One recognised word and its box in the page image, in pixels from the top left."""

    text: str
    left: int
    top: int
    right: int
    bottom: int
    confidence: float  # Tesseract's 0-100
    line: tuple[int, int, int]  # (block, paragraph, line): words of one line share it


@cache
def installed_languages(command: str) -> tuple[str, ...]:
    """Return the languages of LANGUAGES that `command` (a Tesseract) can read; () if it is not installed."""
    if shutil.which(command) is None:
        return ()
    try:
        listed = subprocess.run(
            [command, "--list-langs"],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, **_THREADS},
            check=True,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(lang for lang in LANGUAGES if lang in listed)


def render_page(pdf: Any, index: int, dpi: int = DPI) -> Any:
    """Return page `index` (0-based) of `pdf` (a pypdfium2 PdfDocument) as a greyscale PIL image."""
    with PDFIUM:
        page = pdf[index]
        width, height = page.get_size()  # in points, 72 to the inch
        scale = min(dpi / 72, MAX_SIDE_PX / max(width, height, 1.0))
        return page.render(scale=scale, grayscale=True).to_pil()


def ocr_words(image: Any, command: str = "tesseract", languages: tuple[str, ...] = ("eng",)) -> list[OcrWord]:
    """Return the words Tesseract reads in `image` (a PIL image), in reading order, with their boxes.

    Raise LoadError if Tesseract fails on the image.
    """
    png = io.BytesIO()
    image.save(png, format="PNG")
    args = [command, "stdin", "stdout", "--dpi", str(DPI), "-l", "+".join(languages), "tsv"]
    output = _run(args, png.getvalue())
    words = []
    for row in csv.DictReader(io.StringIO(output), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        left, top = int(row["left"]), int(row["top"])
        line = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
        right, bottom = left + int(row["width"]), top + int(row["height"])
        words.append(OcrWord(text, left, top, right, bottom, float(row["conf"]), line))
    return words


def words_text(words: list[OcrWord]) -> str:
    """Return the text of `words`: a line break between lines, a blank line between paragraphs."""
    out: list[str] = []
    previous: tuple[int, int, int] | None = None
    for word in words:
        if previous is not None:
            if word.line[:2] != previous[:2]:
                out.append("\n\n")
            elif word.line != previous:
                out.append("\n")
            else:
                out.append(" ")
        out.append(word.text)
        previous = word.line
    return "".join(out)


def read_page(image: Any, command: str, installed: tuple[str, ...], script: str = "") -> list[OcrWord]:
    """Return the words of `image` read in the languages of its script, among the `installed` ones.

    `script` is the page's, when its text layer tells it ("Latin", "Cyrillic", "Arabic"). English alone
    reads a page of s01 in 2.3 s, English, French and Spanish together in 3.1 s, all six languages in
    6.9 s (docs/ingest.md, "Scanned pages"). So a page in another script is read in its
    languages, and a Latin or unknown one in English first; a page whose function words are French or
    Spanish is read again with the Latin languages (English loses accents: "Etats parties a"), and a page
    of unknown script that English cannot read is read again in the script Tesseract detects on it. The
    better reading on the quality test is kept.
    """
    if script and script != "Latin" and (languages := script_languages(script, installed)):
        return ocr_words(image, command, languages)
    first = ("eng",) if "eng" in installed else installed[:1]
    words = ocr_words(image, command, first)
    text = words_text(words)
    lowered = [w.text.lower() for w in words]
    if sum(w in _ROMANCE for w in lowered) > sum(w in _ENGLISH for w in lowered):
        languages = script_languages("Latin", installed)
    elif text_quality(text).passes or script == "Latin":
        return words  # a Latin text layer that English reads no better is not in a language we have
    else:
        languages = script_languages(page_script(image, command), installed)
    if not languages or languages == first:
        return words
    again = ocr_words(image, command, languages)
    return again if text_quality(words_text(again)).score >= text_quality(text).score else words


def page_script(image: Any, command: str = "tesseract") -> str:
    """Return the script Tesseract detects on `image` ("Latin", "Cyrillic", "Arabic", ...; "" if unsure)."""
    png = io.BytesIO()
    image.save(png, format="PNG")
    try:
        output = _run([command, "stdin", "stdout", "--dpi", str(DPI), "--psm", "0"], png.getvalue())
    except LoadError:
        return ""  # too little text to tell: the caller keeps its first reading
    for line in output.splitlines():
        if line.startswith("Script:"):
            return line.split(":", 1)[1].strip()
    return ""


def script_languages(script: str, installed: tuple[str, ...]) -> tuple[str, ...]:
    """Return the installed languages written in `script` (empty if none is)."""
    return tuple(lang for lang in _SCRIPT_LANGUAGES.get(script, ()) if lang in installed)


def _run(args: list[str], image: bytes) -> str:
    try:
        done = subprocess.run(
            args, input=image, capture_output=True, timeout=_TIMEOUT_S, env={**os.environ, **_THREADS}
        )
    except subprocess.TimeoutExpired:
        raise LoadError(f"OCR took over {_TIMEOUT_S} s on one page") from None
    except OSError as exc:
        raise LoadError(f"cannot run OCR ({args[0]}: {exc.strerror or exc})") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise LoadError(f"OCR failed ({message[-1][:120] if message else f'exit {done.returncode}'})")
    return done.stdout.decode(errors="replace")
