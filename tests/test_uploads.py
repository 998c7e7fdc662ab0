"""Uploads: safe names, type and size limits, no overwrites, then a real ingest that makes them searchable."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from assistant.ingest.uploads import UPLOAD_SUBDIR, UploadError, add_uploads, check_upload, safe_filename, store_upload
from assistant.pipeline import Assistant
from tests.office_files import write_docx

NOTE = (
    "Harbour Watch Pilot\n\nThe Harbour Watch pilot programme was launched in Valletta in March 2023 by the "
    "Maritime Cooperation Office. It trains port officers to recognise signs of migrant smuggling on cargo ships.\n"
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "corpus").mkdir()
    return load_settings(
        Path("/nonexistent/assistant.toml"),
        environ={},
        corpus_dir=tmp_path / "corpus",
        index_dir=tmp_path / "index",
        max_upload_mb=1,
    )


def upload(folder: Path, name: str, data: bytes | str) -> Path:
    """Write a file the way Gradio hands it over: a temp path whose name is the uploaded name."""
    path = folder / "gradio-tmp" / name.replace("/", "_").replace("\\", "_")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\Windows\\win.ini.md", "win.ini.md"),
        ("Résumé final (v2).PDF", "Resume_final_v2.pdf"),
        (".hidden.txt", "hidden.txt"),
        ("...", "upload"),
        ("", "upload"),
        ("a b;rm -rf *.html", "a_b_rm_-rf.html"),
        ("x" * 300 + ".txt", "x" * 96 + ".txt"),
    ],
)
def test_safe_filename(name: str, safe: str) -> None:
    assert safe_filename(name) == safe


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("tool.exe", b"MZ\x90\x00", ".exe files are not accepted; upload PDF, DOCX, ODT, XLSX, CSV, TXT, MD or HTML."),
        ("README", b"text", "files without an extension are not accepted"),
        ("empty.txt", b"", "the file is empty"),
        ("big.txt", b"a" * (1024 * 1024 + 1), "1.0 MB is over the 1 MB limit"),
    ],
)
def test_refused_files_say_why(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    with pytest.raises(UploadError, match=reason.replace("(", r"\(").replace(".", r"\.")) as caught:
        check_upload(upload(tmp_path, name, data), name, max_mb=1)
    assert str(caught.value).startswith(f"{name}: ")


def test_office_files_of_each_kind_are_accepted(tmp_path: Path) -> None:
    for name in ("report.docx", "Report.ODT", "annex.xlsx", "annex.csv"):
        check_upload(upload(tmp_path, name, b"PK\x03\x04"), name, max_mb=1)  # raises when refused


def test_store_never_escapes_or_overwrites(tmp_path: Path, settings: Settings) -> None:
    uploads = (settings.corpus_dir / UPLOAD_SUBDIR).resolve()
    first = store_upload(upload(tmp_path, "note.txt", "first"), "../../note.txt", settings)
    assert first == uploads / "note.txt"
    second = store_upload(upload(tmp_path, "note.txt", "second"), "note.txt", settings)
    assert second == uploads / "note-2.txt" and first.read_text() == "first"
    again = store_upload(upload(tmp_path, "copy.txt", "second"), "copy.txt", settings)
    assert again == second  # the same content uploaded twice is stored once
    assert sorted(p.name for p in uploads.iterdir()) == ["note-2.txt", "note.txt"]  # no temp files left
    assert not list(tmp_path.glob("*.txt"))  # nothing was written outside the corpus


def test_add_uploads_indexes_good_files_and_reports_bad_ones(tmp_path: Path, settings: Settings) -> None:
    files = [
        (upload(tmp_path, "harbour watch.txt", NOTE), "harbour watch.txt"),
        (upload(tmp_path, "draft.docx", write_docx(tmp_path / "draft.docx").read_bytes()), "draft.docx"),
        (upload(tmp_path, "fake.pdf", b"%PDF-1.4 not really a pdf" + b"\x00" * 50), "fake.pdf"),
        (upload(tmp_path, "notes.docx", b"plain text saved as docx"), "notes.docx"),
        (upload(tmp_path, "virus.exe", b"MZ"), "virus.exe"),
    ]
    seen: list[tuple[int, int]] = []
    result = add_uploads(files, settings, progress=lambda done, total, what: seen.append((done, total)))
    assert result.stored == ["uploads/harbour_watch.txt", "uploads/draft.docx"]
    reasons = dict(result.rejected)
    assert "PDF" in reasons["fake.pdf"] and "not accepted" in reasons["virus.exe"]
    assert "damaged Word .docx file" in reasons["notes.docx"]
    assert not (settings.corpus_dir / UPLOAD_SUBDIR / "fake.pdf").exists()  # unreadable files are removed again
    assert seen and seen[-1][0] == seen[-1][1]

    assistant = Assistant.from_settings(settings)
    hits = assistant.ask("When was the Harbour Watch pilot launched?").hits
    assert hits[0].chunk.source == "uploads/harbour_watch.txt" and "March 2023" in hits[0].chunk.text
    hits = assistant.ask("How many smuggling convictions were there in Malta?").hits
    assert (
        hits[0].chunk.source == "uploads/draft.docx"
        and "Country: Malta | Year: 2019 | Convictions: 27." in hits[0].chunk.text
    )


def test_add_uploads_with_only_refused_files_does_not_ingest(tmp_path: Path, settings: Settings) -> None:
    def no_ingest(*args: object, **kwargs: object) -> None:
        raise AssertionError("ingest must not run")

    result = add_uploads([(upload(tmp_path, "a.exe", b"MZ"), "a.exe")], settings, ingest_fn=no_ingest)
    assert result.stored == [] and result.report is None and result.rejected[0][0] == "a.exe"
