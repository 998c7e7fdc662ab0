"""Uploads: check files a user adds, store them under corpus/uploads/ with safe names, then ingest them."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.ingest.catalog import check_groups, load_catalog, set_upload_groups
from assistant.ingest.update import IngestReport, ingest
from assistant.types import Progress

UPLOAD_SUBDIR = "uploads"
# What the Documents tab accepts: the loaders' formats that people actually have at hand.
UPLOAD_SUFFIXES = (".pdf", ".docx", ".odt", ".xlsx", ".csv", ".txt", ".md", ".html", ".htm")
MAX_NAME_CHARS = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class UploadError(AssistantError):
    """A file was refused (type, size, empty); the message says which and what to do."""


@dataclass
class UploadResult:
    stored: list[str] = field(default_factory=list)  # sources (relative to the corpus) now indexed
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file name as uploaded, one-line reason)
    partial: list[tuple[str, str]] = field(default_factory=list)  # (file name as uploaded, pages left out and why)
    report: IngestReport | None = None


def safe_filename(name: str) -> str:
    """Return a file name that is safe to create in the uploads folder.

    Only the last path component survives (both / and \\ count, so "../../x" cannot escape), letters are
    reduced to ASCII, anything else becomes "_", and no name starts with a dot (ingest skips those).
    """
    base = re.split(r"[\\/]", name)[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _UNSAFE.sub("_", stem).strip("._-")[: MAX_NAME_CHARS - len(suffix) - 1] or "upload"
    suffix = _UNSAFE.sub("", suffix).lower()
    return f"{stem}.{suffix}" if suffix else stem


def check_upload(path: Path, name: str, max_mb: int) -> None:
    """Raise UploadError if the file `name` (stored at `path`) has a refused type, is empty or too big."""
    suffix = Path(safe_filename(name)).suffix
    if suffix not in UPLOAD_SUFFIXES:
        kind = f"{suffix} files" if suffix else "files without an extension"
        raise UploadError(f"{name}: {kind} are not accepted; upload PDF, DOCX, ODT, XLSX, CSV, TXT, MD or HTML.")
    try:
        size = path.stat().st_size
    except OSError:
        raise UploadError(f"{name}: the upload did not arrive; try again.") from None
    if size == 0:
        raise UploadError(f"{name}: the file is empty.")
    if size > max_mb * 1024 * 1024:
        raise UploadError(f"{name}: {size / 1024 / 1024:.1f} MB is over the {max_mb} MB limit; split or compress it.")


def store_upload(path: Path, name: str, settings: Settings, groups: tuple[str, ...] = ()) -> Path:
    """Copy the checked upload into corpus/uploads/ and return where it now is.

    A file with the same content and the same readers (`groups`) that is already there is reused; one
    readable by others is not (re-uploading a restricted file must not open it to everyone, nor the
    reverse); a different file with the same name gets a numbered name. The copy appears under its final
    name in one step (a hidden temp file hard-linked into place), so an ingest running at the same time
    never reads half a file.
    """
    check_upload(path, name, settings.max_upload_mb)
    folder = (settings.corpus_dir / UPLOAD_SUBDIR).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    same = _same_content(path, folder)
    if same is not None and _groups_of(same, settings.corpus_dir) == groups:
        return same
    safe = safe_filename(name)
    stem, suffix = Path(safe).stem, Path(safe).suffix
    temp = folder / f".part-{uuid.uuid4().hex}{suffix}"
    shutil.copyfile(path, temp)
    try:
        for i in range(1, 1000):
            target = folder / (safe if i == 1 else f"{stem}-{i}{suffix}")
            if target.parent != folder:  # safe_filename makes this impossible; refuse loudly if not
                raise UploadError(f"{name}: refused file name.")
            try:
                os.link(temp, target)  # fails if the name is taken: no overwrite, even between two users
            except FileExistsError:
                continue
            return target
        raise UploadError(f"{name}: too many files with this name in {UPLOAD_SUBDIR}/; rename it.")
    finally:
        temp.unlink(missing_ok=True)


def add_uploads(
    files: Sequence[tuple[Path, str]],
    settings: Settings,
    progress: Progress | None = None,
    ingest_fn: Callable[..., IngestReport] = ingest,
    groups: tuple[str, ...] = (),
) -> UploadResult:
    """Store each (path, name as uploaded) that passes the checks, then index them in one atomic update.

    With `groups`, only users of one of them (and admins) may read the files: that is recorded in the
    uploads' catalog before they are indexed, so no index ever holds them unrestricted. Files the loaders
    cannot read are removed again and reported with the loader's reason.
    """
    result = UploadResult()
    groups = check_groups(list(groups), "upload")
    corpus = settings.corpus_dir.resolve()
    stored: dict[Path, str] = {}
    for path, name in files:
        try:
            target = store_upload(Path(path), name, settings, groups)
            set_upload_groups(settings.corpus_dir, target.relative_to(corpus).as_posix(), groups)
            stored[target] = name
        except UploadError as exc:
            result.rejected.append((name, str(exc).removeprefix(f"{name}: ")))
    if not stored:
        return result
    report = ingest_fn(settings, list(stored), progress=progress)
    result.report = report
    unreadable = {Path(p).resolve(): reason for p, reason in report.skipped}
    in_part = {Path(p).resolve(): reason for p, reason in report.partial}
    for target, name in stored.items():
        if target in unreadable:
            target.unlink(missing_ok=True)  # a file the index cannot hold would only confuse later ingests
            result.rejected.append((name, unreadable[target]))
        else:
            result.stored.append(target.relative_to(corpus).as_posix())
            if target in in_part:
                result.partial.append((name, in_part[target]))
    return result


def _groups_of(path: Path, corpus_dir: Path) -> tuple[str, ...]:
    """Return the groups that may read the corpus file at `path` (none: everyone)."""
    entry = load_catalog(corpus_dir).get(path.relative_to(corpus_dir.resolve()).as_posix())
    return entry.groups if entry is not None else ()


def _same_content(path: Path, folder: Path) -> Path | None:
    """Return the file in `folder` whose bytes equal those at `path`, if any."""
    size = path.stat().st_size
    digest = None
    for other in sorted(folder.iterdir()):
        if other.name.startswith(".") or not other.is_file() or other.stat().st_size != size:
            continue
        digest = digest or _sha256(path)
        if _sha256(other) == digest:
            return other
    return None


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
