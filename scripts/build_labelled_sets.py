"""Build an eval set's question file and labelled sets from what its writers wrote (docs/evaluation.md).

    python scripts/build_labelled_sets.py questions library      # written/*.jsonl -> questions.jsonl
    python scripts/build_labelled_sets.py support library        # questions (+ written statements) -> support.jsonl
    python scripts/build_labelled_sets.py candidates library OUT # retrieved sentences to label, one file per batch
    python scripts/build_labelled_sets.py selection library DIR  # labels from DIR -> selection.jsonl
    python scripts/build_labelled_sets.py briefing library       # written/briefing-*.jsonl -> briefing.jsonl

Writers saw only the documents: each wrote questions with verbatim evidence, paraphrases of the answer and
altered statements (a number, name, year or negation changed). Retrieval here only picks which passages
to pair and label; no answer of the assistant is looked at.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import load_settings  # noqa: E402
from assistant.evaluation.evalset import load_dataset  # noqa: E402
from assistant.evaluation.labelled import BRIEFING_FILE, SELECTION_FILE, SUPPORT_FILE, read_records  # noqa: E402
from assistant.evaluation.metrics import facts_found, holds_quote  # noqa: E402
from assistant.evaluation.runs import write_jsonl  # noqa: E402
from assistant.evaluation.sets import SETS, EvalSet  # noqa: E402
from assistant.types import Chunk  # noqa: E402

EVAL_KEYS = ("id", "question", "answerable", "type", "answer", "must_include", "evidence", "split", "documents")
OTHER_PASSAGES = 2  # unsupported pairs per answer from the same document, and as many from others
SELECTION_PASSAGES = 5  # retrieved passages whose sentences are labelled per question
BATCH = 40  # questions per labelling file


def document_splits(chosen: EvalSet) -> dict[str, str]:
    """Return each document's split from the set's splits.json ({"dev": [files], "test": [files]})."""
    data = json.loads((chosen.labelled / "splits.json").read_text("utf-8"))  # type: ignore[operator]
    return {doc: split for split in ("dev", "test") for doc in data[split]}


def written(chosen: EvalSet, pattern: str) -> Iterator[dict[str, Any]]:
    """Yield the records of the writers' files matching `pattern` (none when the set has no such folder)."""
    for path in sorted((chosen.labelled / "written").glob(pattern)):  # type: ignore[operator]
        yield from read_records(path)


def build_questions(chosen: EvalSet) -> None:
    """Merge the writers' questions; each question's split is that of its documents (all must agree)."""
    splits = document_splits(chosen)
    records = list(written(chosen, "questions-*.jsonl"))
    # A question about no document (an off-topic unanswerable one) is in its writer's split: each writer
    # ("w1" of "w1-048") read only documents of one split.
    by_writer: dict[str, set[str]] = {}
    for r in records:
        by_writer.setdefault(r["id"].split("-")[0], set()).update(splits[d] for d in r.get("documents", []))
    rows = []
    for r in records:
        docs = sorted({*r.get("documents", []), *(e["source"] for e in r.get("evidence", []))})
        found = {splits[d] for d in docs} or set(by_writer[r["id"].split("-")[0]])
        if len(found) != 1:
            raise SystemExit(f"{r['id']}: documents {docs} are not all in one split ({found})")
        r = {**r, "split": found.pop(), "documents": docs}
        rows.append({k: r[k] for k in EVAL_KEYS if k in r})
    write_jsonl(chosen.questions, rows)
    print(f"{chosen.questions}: {len(rows)} questions")


def _assistant(chosen: EvalSet) -> Any:
    from assistant.ingest.update import ingest
    from assistant.pipeline import Assistant

    settings = chosen.settings(load_settings(None))
    ingest(settings)
    return Assistant.from_settings(settings)


def _gold(chunks: Sequence[Chunk], quotes: Sequence[tuple[str, str]]) -> list[Chunk]:
    return [c for c in chunks if any(c.source == s and holds_quote(c.text, q) for s, q in quotes)]


def build_support(chosen: EvalSet) -> None:
    """Pair each reference answer, paraphrase and altered statement with passages, labelled supported or not."""
    assistant = _assistant(chosen)
    chunks = assistant.current_retriever().index.store.chunks
    extra = {r["id"]: r for r in written(chosen, "questions-*.jsonl")} if (chosen.labelled / "written").is_dir() else {}  # type: ignore[operator]
    extra |= (
        {r["id"]: r for r in written(chosen, "statements-*.jsonl")} if (chosen.labelled / "written").is_dir() else {}
    )  # type: ignore[operator]
    rows: list[dict[str, Any]] = []
    for item in load_dataset(chosen.questions):
        if not item.answerable:
            continue
        quotes = [(e.source, e.quote) for e in item.evidence]
        gold = _gold(chunks, quotes)
        if not gold:
            raise SystemExit(f"{item.id}: no indexed passage holds its evidence")
        base = {"question_id": item.id, "split": item.split}

        def pair(statement: str, chunk: Chunk, supported: bool, kind: str, base: dict[str, str] = base) -> None:
            rows.append(
                {"id": f"{base['question_id']}-s{len(rows)}", **base, "statement": statement, "source": chunk.source,
                 "passage": chunk.text, "supported": supported, "kind": kind}
            )  # fmt: skip

        # A multi-document answer is supported only by all its passages together: pair single-passage ones.
        if len({e.source for e in item.evidence}) == 1:
            pair(item.answer, gold[0], True, "reference")
        hits = assistant.current_retriever().search(item.question, k=10).hits
        gold_ids = {c.id for c in gold}
        sources = {e.source for e in item.evidence}
        others = [
            h.chunk
            for h in hits
            if h.chunk.id not in gold_ids
            # A passage that states the key facts may support the answer too: not a clean negative.
            and not all(facts_found(h.chunk.text, item.must_include))
            and not any(holds_quote(h.chunk.text, q) for _, q in quotes)
        ]
        same = [c for c in others if c.source in sources][:OTHER_PASSAGES]
        other = [c for c in others if c.source not in sources][:OTHER_PASSAGES]
        for c in same:
            pair(item.answer, c, False, "same_document")
        for c in other:
            pair(item.answer, c, False, "other_document")
        written_by = extra.get(item.id, {})
        for paraphrase in written_by.get("paraphrases", []):
            pair(paraphrase, gold[0], True, "paraphrase")
        for altered in written_by.get("altered", []):
            pair(altered["statement"], gold[0], False, f"altered_{altered['change']}")
    write_jsonl(chosen.labelled / SUPPORT_FILE, rows)  # type: ignore[operator]
    kinds: dict[str, int] = {}
    for r in rows:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    print(f"{SUPPORT_FILE}: {len(rows)} pairs {kinds}")


def build_candidates(chosen: EvalSet, out: Path) -> None:
    """Write the sentences of each answerable question's top retrieved passages, numbered, for labelling."""
    from assistant.answering.sentences import units

    assistant = _assistant(chosen)
    records = []
    for item in load_dataset(chosen.questions):
        if not item.answerable:
            continue
        hits = assistant.current_retriever().search(item.question, k=SELECTION_PASSAGES).hits
        passages, sentences, seen = [], [], set()
        for h in hits:
            c = h.chunk
            passages.append({"chunk_id": c.id, "doc_id": c.doc_id, "source": c.source, "title": c.title,
                             "start": c.start, "text": c.text, "score": round(h.score, 4)})  # fmt: skip
            for u in units(c.text):
                # Offsets are into the chunk's document; a news feed file holds several documents.
                span = (c.doc_id, c.start + u.start, c.start + u.end)
                if span not in seen:
                    seen.add(span)
                    sentences.append({"n": len(sentences) + 1, "doc_id": c.doc_id, "source": c.source,
                                      "start": span[1], "end": span[2], "text": u.text})  # fmt: skip
        records.append({"id": item.id, "split": item.split, "question": item.question, "answer": item.answer,
                        "passages": passages, "sentences": sentences})  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(records), BATCH):
        batch = records[start : start + BATCH]
        write_jsonl(out / f"batch-{start // BATCH + 1:02d}.jsonl", batch)
        with (out / f"batch-{start // BATCH + 1:02d}.txt").open("w", encoding="utf-8") as f:
            for r in batch:
                f.write(f"### {r['id']}\nQUESTION: {r['question']}\nREFERENCE ANSWER: {r['answer']}\n")
                for s in r["sentences"]:
                    f.write(f"  [{s['n']}] ({s['source']}) {' '.join(s['text'].split())}\n")
                f.write("\n")
    print(f"{len(records)} questions in {out}")


def build_selection(chosen: EvalSet, labels_dir: Path, candidates_dir: Path) -> None:
    """Join the labellers' {"id", "answers": [n], "context": [n]} lines with the candidates."""
    labels = {r["id"]: r for path in sorted(labels_dir.glob("*.jsonl")) for r in read_records(path)}
    rows = []
    for path in sorted(candidates_dir.glob("batch-*.jsonl")):
        for r in read_records(path):
            if r["id"] not in labels:
                raise SystemExit(f"{r['id']}: not labelled")
            mark = labels[r["id"]]
            grade = {n: "answers" for n in mark.get("answers", [])} | {n: "context" for n in mark.get("context", [])}
            keys = ("doc_id", "source", "start", "end", "text")
            sentences = [{k: s[k] for k in keys} | {"label": grade.get(s["n"], "unrelated")} for s in r["sentences"]]
            rows.append({k: r[k] for k in ("id", "split", "question", "passages")} | {"sentences": sentences})
    write_jsonl(chosen.labelled / SELECTION_FILE, rows)  # type: ignore[operator]
    print(f"{SELECTION_FILE}: {len(rows)} questions")


def build_briefing(chosen: EvalSet) -> None:
    """Merge the writers' briefing topics, each given the split of the documents it quotes."""
    splits = document_splits(chosen) if (chosen.labelled / "splits.json").is_file() else None  # type: ignore[operator]
    rows = []
    for r in written(chosen, "briefing-*.jsonl"):
        docs = {q["source"] for quotes in r["sections"].values() for q in quotes}
        split = {splits[d] for d in docs} if splits else {r["split"]}
        if len(split) != 1:
            raise SystemExit(f"{r['id']}: quotes documents of both splits")
        rows.append({"id": r["id"], "split": split.pop(), "topic": r["topic"], "sections": r["sections"]})
    write_jsonl(chosen.labelled / BRIEFING_FILE, rows)  # type: ignore[operator]
    print(f"{BRIEFING_FILE}: {len(rows)} topics")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=("questions", "support", "candidates", "selection", "briefing"))
    parser.add_argument("set", choices=sorted(SETS))
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args()
    chosen = SETS[args.set]
    if args.step == "questions":
        build_questions(chosen)
    elif args.step == "support":
        build_support(chosen)
    elif args.step == "candidates":
        build_candidates(chosen, args.paths[0])
    elif args.step == "selection":
        build_selection(chosen, args.paths[0], args.paths[1])
    else:
        build_briefing(chosen)


if __name__ == "__main__":
    main()
