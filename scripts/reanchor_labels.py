"""Move a set's support and selection labels onto the text a changed loader gives (docs/evaluation.md).

    python scripts/reanchor_labels.py library --old-rev 8768667~1

The labelled passages are chunks of the documents as the loader at `--old-rev` read them. When the loader
drops page furniture it used to keep, or keeps table rows it used to drop, a passage is no longer in the
document. Each affected document is read with both loaders (the old one run from the revision's own
package), the two texts are aligned word by word, and
every passage and sentence span is carried over: its furniture goes, restored rows come in, its label
stays. A sentence that was furniture only is dropped. Nothing is re-retrieved or relabelled.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
from bisect import bisect_left
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.evaluation.labelled import BRIEFING_FILE, SELECTION_FILE, SUPPORT_FILE, read_records  # noqa: E402
from assistant.evaluation.metrics import normalise  # noqa: E402
from assistant.evaluation.runs import write_jsonl  # noqa: E402
from assistant.evaluation.sets import SETS, EvalSet  # noqa: E402
from assistant.ingest import loaders  # noqa: E402
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


def document_texts(corpus: Path, source: str) -> str:
    """Return the file's text as today's loaders read it (a feed's items joined by a space)."""
    entry = load_catalog(corpus).get(source)
    return " ".join(d.text for d in loaders.load_file(corpus / source, source, entry))


def old_texts(rev: str, corpus: Path, sources: Sequence[str]) -> dict[str, str]:
    """Return each source's text as the loaders at git revision `rev` read it.

    The old package is unpacked into a temporary folder and run there in a child process, so that every
    loader change (furniture, OCR, tables) is undone, not only the one this script was first written for.
    """
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(["git", "archive", rev, "assistant"], cwd=ROOT, check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
        child = (
            "import json, sys\n"
            "from pathlib import Path\n"
            "from assistant.ingest.catalog import load_catalog\n"
            "from assistant.ingest.loaders import load_file\n"
            "corpus = Path(sys.argv[1]); catalog = load_catalog(corpus)\n"
            "print(json.dumps({s: ' '.join(d.text for d in load_file(corpus / s, s, catalog.get(s)))"
            " for s in sys.argv[2:]}))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", child, str(corpus.resolve()), *sources],
            cwd=folder,
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": folder},
        )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def reanchor(chosen: EvalSet, rev: str) -> None:
    support = read_records(chosen.labelled / SUPPORT_FILE)  # type: ignore[operator]
    selection = read_records(chosen.labelled / SELECTION_FILE)  # type: ignore[operator]
    briefing = read_records(chosen.labelled / BRIEFING_FILE)  # type: ignore[operator]
    questions = read_records(chosen.questions)
    # Quotes of the questions' evidence and of the briefing sections: {"source", "quote"} anywhere in the text.
    quotes = [e for r in questions for e in r["evidence"]] + [
        q for r in briefing for labelled in r["sections"].values() for q in labelled
    ]
    new_texts: dict[str, str] = {}

    def present(source: str, text: str) -> bool:
        if source not in new_texts:
            new_texts[source] = normalise(document_texts(chosen.corpus, source))
        return normalise(text) in new_texts[source]

    moved = sorted(
        {r["source"] for r in support if not present(r["source"], r["passage"])}
        | {p["source"] for r in selection for p in r["passages"] if not present(p["source"], p["text"])}
        | {q["source"] for q in quotes if not present(q["source"], q["quote"])}
    )
    olds = old_texts(rev, chosen.corpus, moved)
    alignments = {}
    for source in moved:
        print(f"aligning {source}")
        old, new = olds[source], document_texts(chosen.corpus, source)
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
    for q in quotes:
        if q["source"] in alignments and not present(q["source"], q["quote"]):
            old, align = alignments[q["source"]]
            found = re.search(r"\s+".join(map(re.escape, q["quote"].split())), old)
            if not found:
                raise SystemExit(f"quote not in the old text of {q['source']} either: {q['quote'][:60]}")
            q["quote"] = align.new[align.start(found.start()) : align.end(found.end())]
            changed += 1
    write_jsonl(chosen.labelled / SUPPORT_FILE, support)  # type: ignore[operator]
    write_jsonl(chosen.labelled / SELECTION_FILE, selection)  # type: ignore[operator]
    write_jsonl(chosen.labelled / BRIEFING_FILE, briefing)  # type: ignore[operator]
    write_jsonl(chosen.questions, questions)
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
