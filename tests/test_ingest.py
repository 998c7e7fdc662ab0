"""Incremental ingest on a small real corpus: add, change, delete, bad files, settings changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from assistant.index.generations import current_generation, load_index
from assistant.ingest.update import ingest
from tests.conftest import CORPUS
from tests.pdfs import write_pdf


@pytest.fixture
def small(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "000_ecf764e4fb7f4f22.txt", corpus / "kyiv.txt")
    (corpus / "athens.md").write_text(
        "# Athens workshop\n\nThe workshop in Athens gathered border police from ten countries.\n", "utf-8"
    )
    return load_settings(Path("/nonexistent.toml"), environ={}, corpus_dir=corpus, index_dir=tmp_path / "index")


def sources(settings: Settings) -> set[str]:
    return {c.source for c in load_index(settings.index_dir).store.chunks}


def test_add_change_delete_leave_no_stale_chunk(small: Settings) -> None:
    first = ingest(small)
    assert sorted(first.added) == ["athens.md", "kyiv.txt"]
    index = load_index(small.index_dir)
    kyiv_ids = {c.id for c in index.store.chunks if c.source == "kyiv.txt"}

    # Unchanged corpus: nothing is rewritten.
    again = ingest(small)
    assert not again.changed and current_generation(small.index_dir) == index.generation

    # Change one file, add another.
    (small.corpus_dir / "athens.md").write_text(
        "# Athens workshop\n\nThe workshop ended with twelve recommendations.\n"
    )
    write_pdf(
        small.corpus_dir / "brief.pdf",
        ["Page one is about Moldova and its border police. " * 12, "Page two is about Georgia and visa policy. " * 12],
    )
    second = ingest(small)
    assert second.updated == ["athens.md"] and second.added == ["brief.pdf"]
    index = load_index(small.index_dir)
    texts = " ".join(c.text for c in index.store.chunks)
    assert "twelve recommendations" in texts and "ten countries" not in texts
    assert {c.id for c in index.store.chunks if c.source == "kyiv.txt"} == kyiv_ids  # untouched, not re-embedded
    assert {c.page for c in index.store.chunks if c.source == "brief.pdf"} == {1, 2}
    assert index.store.vectors.ntotal == len(index.store.chunks)

    # Delete a file: its chunks go, from the store and from keyword search.
    (small.corpus_dir / "athens.md").unlink()
    third = ingest(small)
    assert third.removed == ["athens.md"]
    assert sources(small) == {"kyiv.txt", "brief.pdf"}
    store = load_index(small.index_dir).store
    assert all(
        store.chunks[row].source != "athens.md" for row, _ in store.keyword_search("workshop recommendations", 10)
    )


def test_bad_files_are_reported_and_the_rest_is_indexed(small: Settings) -> None:
    ingest(small)
    before = {c.id for c in load_index(small.index_dir).store.chunks}
    (small.corpus_dir / "empty.txt").write_bytes(b"")
    (small.corpus_dir / "broken.pdf").write_bytes(b"%PDF-1.4 this is not a pdf at all")
    (small.corpus_dir / "new.txt").write_text("Frontex and EUROPOL signed a working arrangement.", "utf-8")
    report = ingest(small)
    reasons = dict(report.skipped)
    assert "empty file" in reasons[str(small.corpus_dir / "empty.txt")]
    assert "PDF" in reasons[str(small.corpus_dir / "broken.pdf")]
    assert report.added == ["new.txt"]
    after = {c.id for c in load_index(small.index_dir).store.chunks}
    assert before < after


def test_a_file_that_turns_unreadable_keeps_its_old_chunks(small: Settings) -> None:
    ingest(small)
    before = {c.id for c in load_index(small.index_dir).store.chunks if c.source == "athens.md"}
    (small.corpus_dir / "athens.md").write_bytes(b"")
    report = ingest(small)
    assert report.skipped and not report.removed
    assert {c.id for c in load_index(small.index_dir).store.chunks if c.source == "athens.md"} == before


def test_changed_chunking_settings_rebuild_the_index(small: Settings) -> None:
    ingest(small)
    report = ingest(small.replace(chunk_max_chars=300))
    assert report.rebuilt
    index = load_index(small.index_dir)
    assert index.manifest.chunking["max_chars"] == 300
    assert max(len(c.text) for c in index.store.chunks) <= 300


def test_explicit_paths_and_missing_paths(small: Settings, tmp_path: Path) -> None:
    outside = tmp_path / "extra.txt"
    outside.write_text("A note about the Prague Process.", "utf-8")
    report = ingest(small, [outside, tmp_path / "nope.txt"])
    assert report.added == [outside.resolve().as_posix()]
    assert report.skipped == [(str(tmp_path / "nope.txt"), "no such file or folder")]
    # Ingesting one path does not delete what lives elsewhere.
    ingest(small)
    assert outside.resolve().as_posix() in sources(small)


def test_symlink_out_of_the_corpus_is_refused(small: Settings, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("Private notes that must not be indexed.", "utf-8")
    (small.corpus_dir / "link.txt").symlink_to(secret)
    report = ingest(small)
    assert any("symbolic link" in reason for _, reason in report.skipped)
    assert "link.txt" not in sources(small)


def test_catalog_edit_refreshes_metadata(small: Settings) -> None:
    ingest(small)
    (small.corpus_dir / "catalog.toml").write_text('["kyiv.txt"]\ntitle = "Kyiv meeting"\norganisation = "EaP Panel"\n')
    report = ingest(small)
    assert report.updated == ["kyiv.txt"]
    chunks = [c for c in load_index(small.index_dir).store.chunks if c.source == "kyiv.txt"]
    assert {c.title for c in chunks} == {"Kyiv meeting"} and {c.organisation for c in chunks} == {"EaP Panel"}


def test_a_damaged_index_is_rebuilt_by_the_next_ingest(small: Settings) -> None:
    from assistant.errors import IndexDamagedError

    ingest(small)
    generation = load_index(small.index_dir).folder
    (generation / "vectors.faiss").write_bytes(b"not a faiss index")
    with pytest.raises(IndexDamagedError, match="rebuild it: assistant ingest"):
        load_index(small.index_dir)
    report = ingest(small)
    assert report.rebuilt
    assert sources(small) == {"kyiv.txt", "athens.md"}


def test_a_crash_keeps_the_steps_already_published(small: Settings) -> None:
    """An ingest of many files publishes every `ingest_checkpoint_files`; a crash loses only the step under way."""
    for n in range(5):
        (small.corpus_dir / f"note{n}.md").write_text(f"# Note {n}\n\nMeeting number {n} discussed visa policy.\n")
    settings = small.replace(ingest_checkpoint_files=3)  # 7 files: steps of 3, 3, then the last 1
    embedded: list[int] = []

    def crash_in_second_step(done: int, total: int, what: str) -> None:
        if what == "embedding" and done == total:
            embedded.append(total)
            if len(embedded) == 2:
                raise KeyboardInterrupt  # as if the machine went down before the second step was published

    with pytest.raises(KeyboardInterrupt):
        ingest(settings, progress=crash_in_second_step)
    first_step = sources(settings)
    assert len(first_step) == 3  # the first step survived the crash, whole

    resumed = ingest(settings)
    assert set(resumed.added) == {"athens.md", "kyiv.txt", *(f"note{n}.md" for n in range(5))} - first_step
    assert sources(settings) == {"athens.md", "kyiv.txt", *(f"note{n}.md" for n in range(5))}
    assert not ingest(settings).changed


def test_deletions_still_count_when_an_ingest_goes_in_steps(small: Settings) -> None:
    ingest(small)
    (small.corpus_dir / "athens.md").unlink()
    for n in range(4):
        (small.corpus_dir / f"note{n}.md").write_text(f"# Note {n}\n\nMeeting number {n} discussed visa policy.\n")
    report = ingest(small.replace(ingest_checkpoint_files=2))
    assert sorted(report.added) == [f"note{n}.md" for n in range(4)] and report.removed == ["athens.md"]
    assert report.unchanged == ["kyiv.txt"]
    assert sources(small) == {"kyiv.txt", *(f"note{n}.md" for n in range(4))}
