"""Crash safety: kill -9 an ingest at several points; the index on disk is the old or the new one."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.index.generations import CURRENT_FILE, load_index
from assistant.ingest.update import ingest
from tests.conftest import CORPUS

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]


def chunk_ids(index_dir: Path) -> frozenset[str]:
    return frozenset(c.id for c in load_index(index_dir).store.chunks)


def start_ingest(corpus: Path, index_dir: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, ASSISTANT_CORPUS_DIR=str(corpus), ASSISTANT_INDEX_DIR=str(index_dir))
    return subprocess.Popen(
        [sys.executable, "-m", "assistant", "ingest", "--quiet"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_when(process: subprocess.Popen[bytes], condition: Callable[[], bool], timeout: float = 120) -> bool:
    """SIGKILL `process` as soon as `condition()` holds; return whether it was killed mid-way."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if condition():
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.0005)
    process.wait()
    return False


def test_kill_minus_nine_never_leaves_a_broken_index(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("000_ecf764e4fb7f4f22.txt", "001_1508a6a040a38520.txt"):
        shutil.copy(CORPUS / name, corpus / name)
    index_dir = tmp_path / "index"
    settings = load_settings(Path("/nonexistent.toml"), environ={}, corpus_dir=corpus, index_dir=index_dir)
    ingest(settings)
    old = chunk_ids(index_dir)

    # The change the killed ingests try to make: one file added, one removed.
    shutil.copy(CORPUS / "004_d30333b4f892d254.txt", corpus / "athens.txt")
    (corpus / "001_1508a6a040a38520.txt").unlink()

    def appears(prefix: str) -> Callable[[], bool]:
        return lambda: any(p.name.startswith(prefix) for p in index_dir.iterdir())

    def current_changes() -> Callable[[], bool]:
        before = (index_dir / CURRENT_FILE).read_text()
        return lambda: (index_dir / CURRENT_FILE).read_text() != before

    kill_points: dict[str, Callable[[], bool]] = {
        "while loading models": lambda: True,
        "while writing the new generation": appears(".staging-"),
        "between writing and switching": appears(f".{CURRENT_FILE}."),
        "right after switching": current_changes(),
    }
    outcomes = {}
    for point, condition in kill_points.items():
        if point == "while loading models":
            process = start_ingest(corpus, index_dir)
            time.sleep(1.0)
        else:
            process = start_ingest(corpus, index_dir)
        killed = kill_when(process, condition)
        ids = chunk_ids(index_dir)  # must load, whatever happened
        outcomes[point] = (killed, "old" if ids == old else "new")
        if ids != old:
            break  # the new index is in place; later kill points have nothing left to interrupt

    # A complete ingest afterwards reaches the new state, and leftovers are cleaned up.
    report = ingest(settings)
    new = chunk_ids(index_dir)
    assert new != old
    for point, (_killed, state) in outcomes.items():
        assert state in ("old", "new"), point
        if state == "new":
            assert not report.changed, "a published index must be complete"
    assert outcomes["while loading models"] == (True, "old")
    assert not [p for p in index_dir.iterdir() if p.name.startswith(".staging-")]
    assert len([p for p in index_dir.iterdir() if p.name.startswith("gen-")]) == 1


@pytest.mark.parametrize("content", ["", "../../etc", "gen-missing", "/abs/path"])
def test_a_damaged_current_pointer_reads_as_no_index(tmp_path: Path, content: str) -> None:
    from assistant.errors import IndexMissingError

    (tmp_path / CURRENT_FILE).write_text(content)
    with pytest.raises(IndexMissingError):
        load_index(tmp_path)
