"""Move a set's support and selection labels onto the text a changed loader gives (docs/evaluation.md).

    python scripts/reanchor_labels.py library --old-rev 8768667~1

The labelled passages are chunks of the documents as the loader at `--old-rev` read them. When the loader
drops page furniture it used to keep, or keeps table rows it used to drop, a passage is no longer in the
document. Each affected document is read with both loaders, the two texts are aligned word by word, and
every passage and sentence span is carried over: its furniture goes, restored rows come in, its label
stays. A sentence that was furniture only is dropped. Nothing is re-retrieved or relabelled.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import re
import subprocess
import sys
import tempfile
from bisect import bisect_left
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.evaluation.labelled import SELECTION_FILE, SUPPORT_FILE, read_records  # noqa: E402
from assistant.evaluation.metrics import normalise  # noqa: E402
from assistant.evaluation.runs import write_jsonl  # noqa: E402
from assistant.evaluation.sets import SETS, EvalSet  # noqa: E402
from assistant.ingest import cleaning, loaders  # noqa: E402
from assistant.ingest.catalog import load_catalog  # noqa: E402

_TOKEN = re.compile(r"\S+")


class Alignment:
    """Maps character offsets of an old document text onto the new one through their common words."""

    def __init__(self, old: str, new: str) -> None:
        old_tokens = [(m.group(), m.start()) for m in _TOKEN.finditer(old)]
        new_tokens = [(m.group(), m.start()) for m in _TOKEN.finditer(new)]
        matcher = difflib.SequenceMatcher(None, [t for t, _ in old_tokens], [t for t, _ in new_tokens], autojunk=False)
        self.old_starts: list[int] = []
        self.new_starts: list[int] = []
        for a, b, size in matcher.get_matching_blocks():
            for k in range(size):
                self.old_starts.append(old_tokens[a + k][1])
                self.new_starts.append(new_tokens[b + k][1])
        self.new = new

    def start(self, offset: int) -> int:
        """Return where the first kept word at or after old `offset` starts in the new text."""
        i = bisect_left(self.old_starts, offset)
        return self.new_starts[i] if i < len(self.old_starts) else len(self.new)

    def end(self, offset: int) -> int:
        """Return where the last kept word ending at or before old `offset` ends in the new text."""
        i = bisect_left(self.old_starts, offset) - 1
        if i < 0:
            return 0
        word = _TOKEN.match(self.new, self.new_starts[i])
        return word.end() if word else self.new_starts[i]


def document_texts(corpus: Path, source: str, clean: Callable[..., list[str]] | None = None) -> str:
    """Return the file's text as the loaders read it, with `clean` as the page-furniture step if given."""
    entry = load_catalog(corpus).get(source)
    original = cleaning.drop_repeated_lines
    if clean is not None:
        cleaning.drop_repeated_lines = clean  # type: ignore[assignment]
    try:
        return " ".join(d.text for d in loaders.load_file(corpus / source, source, entry))
    finally:
        cleaning.drop_repeated_lines = original


def old_cleaner(rev: str) -> Callable[..., list[str]]:
    """Return drop_repeated_lines as assistant/ingest/cleaning.py had it at git revision `rev`."""
    source = subprocess.run(
        ["git", "show", f"{rev}:assistant/ingest/cleaning.py"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "old_cleaning.py"
        path.write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location("old_cleaning", path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.drop_repeated_lines  # type: ignore[no-any-return]


def reanchor(chosen: EvalSet, rev: str) -> None:
    support = read_records(chosen.labelled / SUPPORT_FILE)  # type: ignore[operator]
    selection = read_records(chosen.labelled / SELECTION_FILE)  # type: ignore[operator]
    new_texts: dict[str, str] = {}

    def present(source: str, text: str) -> bool:
        if source not in new_texts:
            new_texts[source] = normalise(document_texts(chosen.corpus, source))
        return normalise(text) in new_texts[source]

    moved = sorted(
        {r["source"] for r in support if not present(r["source"], r["passage"])}
        | {p["source"] for r in selection for p in r["passages"] if not present(p["source"], p["text"])}
    )
    clean = old_cleaner(rev)
    alignments = {}
    for source in moved:
        print(f"aligning {source}")
        old, new = document_texts(chosen.corpus, source, clean), document_texts(chosen.corpus, source)
        alignments[source] = (old, Alignment(old, new))
    changed = 0
    for r in support:
        if r["source"] in alignments and not present(r["source"], r["passage"]):
            old, align = alignments[r["source"]]
            start = old.find(r["passage"])
            if start < 0:
                raise SystemExit(f"{r['id']}: passage not in the old text either")
            r["passage"] = align.new[align.start(start) : align.end(start + len(r["passage"]))]
            changed += 1
    for r in selection:
        changed += _reanchor_selection(r, alignments)
    write_jsonl(chosen.labelled / SUPPORT_FILE, support)  # type: ignore[operator]
    write_jsonl(chosen.labelled / SELECTION_FILE, selection)  # type: ignore[operator]
    print(f"{changed} passages moved in {len(moved)} documents")


def _reanchor_selection(record: dict[str, Any], alignments: dict[str, tuple[str, Alignment]]) -> int:
    """Move the record's passages and sentences of re-read documents; return how many passages moved."""
    moved = 0
    for p in record["passages"]:
        if p["source"] not in alignments:
            continue
        old, align = alignments[p["source"]]
        if old[p["start"] : p["start"] + len(p["text"])] != p["text"]:
            raise SystemExit(f"{record['id']}: passage not at its offset in the old text")
        start, end = align.start(p["start"]), align.end(p["start"] + len(p["text"]))
        p["text"], p["start"] = align.new[start:end], start
        moved += 1
    kept: list[dict[str, Any]] = []
    for s in record["sentences"]:
        if s["source"] in alignments:
            _, align = alignments[s["source"]]
            start, end = align.start(s["start"]), align.end(s["end"])
            if end <= start:
                continue  # the sentence was page furniture only
            s["start"], s["end"], s["text"] = start, end, align.new[start:end]
        kept.append(s)
    record["sentences"] = kept
    return moved


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("set", choices=sorted(SETS))
    parser.add_argument("--old-rev", required=True, help="git revision of the loader the labels were made with")
    args = parser.parse_args(argv)
    reanchor(SETS[args.set], args.old_rev)


if __name__ == "__main__":
    main()
