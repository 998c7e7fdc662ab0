"""PolicyQA (SQuAD-format questions over privacy policies) converted to a corpus and an eval set.

Each policy becomes one text file, its paragraphs in order. Each question names its policy, as a user
asking a library of many policies would ("ticketmaster.com privacy policy: Do you share my email?"), and
its answer span is both the key fact and the evidence quote. Policies, not questions, are split into dev
and test, so no test policy is read while tuning. The questions are written in a hashed order, so the
first N of them (`assistant eval --set policyqa --limit N`) are a fair sample of both splits.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from assistant.evaluation.runs import write_jsonl

_SLUG = re.compile(r"[^a-z0-9]+")


def policy_split(title: str, titles: list[str]) -> str:
    """Return "dev" for the half of the policies whose title hashes lowest, else "test"."""
    ranked = sorted(titles, key=lambda t: hashlib.sha256(t.encode()).hexdigest())
    return "dev" if ranked.index(title) < len(ranked) // 2 else "test"


def convert(source: Path, out_dir: Path) -> int:
    """Write out_dir/corpus/<policy>.txt, its catalog.toml and out_dir/questions.jsonl; return the question count."""
    data: list[dict[str, Any]] = json.loads(source.read_text(encoding="utf-8"))["data"]
    corpus = out_dir / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    titles = [policy["title"] for policy in data]
    rows: list[dict[str, Any]] = []
    catalog = ["# Converted from PolicyQA dev.json by assistant.evaluation.policyqa; rebuilt when missing.", ""]
    for policy in data:
        title = policy["title"]
        name = _SLUG.sub("-", title.lower()).strip("-") + ".txt"
        paragraphs = [p["context"].strip() for p in policy["paragraphs"]]
        (corpus / name).write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
        catalog += [f"[{json.dumps(name)}]", f"title = {json.dumps(f'{title} privacy policy')}", ""]
        split = policy_split(title, titles)
        for paragraph in policy["paragraphs"]:
            for qa in paragraph["qas"]:
                span = qa["answers"][0]["text"].strip()
                rows.append(
                    {
                        "id": f"pqa-{qa['id']}",
                        "question": f"{title} privacy policy: {qa['question'].strip()}",
                        "answerable": True,
                        "type": "factoid",
                        "answer": span,
                        "must_include": [[span]],
                        "evidence": [{"source": name, "quote": span}],
                        "split": split,
                    }
                )
    (corpus / "catalog.toml").write_text("\n".join(catalog), encoding="utf-8")
    # In hashed order, so that `--limit N` is a sample over every policy and both splits.
    rows.sort(key=lambda r: hashlib.sha256(r["id"].encode()).hexdigest())
    write_jsonl(out_dir / "questions.jsonl", rows)
    return len(rows)
