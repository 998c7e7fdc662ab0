"""Fit the support score (answering/verify.py SUPPORT_WEIGHTS) on the dev split of the labelled support pairs.

    .venv/bin/python bench/support_fit.py            # cross-validated ROC AUC, fitted weights, threshold sweep

Reads only the dev pairs of eval/library/support.jsonl and eval/seed/support.jsonl (statement, passage,
supported). Five-fold cross-validation keeps each document's pairs in one fold, so the AUC it prints is
on documents the fold's fit never saw; the weights it prints are then fitted on all dev pairs, in raw
feature units, ready to paste into verify.py. Report test with `assistant eval --set NAME --labelled`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.model_selection import GroupKFold  # noqa: E402

from assistant.answering.verify import SUPPORT_FEATURES, support_features  # noqa: E402
from assistant.config import load_settings  # noqa: E402
from assistant.embedding.embedder import load_embedder  # noqa: E402
from assistant.embedding.service import EmbeddingService  # noqa: E402
from assistant.evaluation.labelled import read_records  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SETS = ("library", "seed")


def main() -> int:
    settings = load_settings()
    embeddings = EmbeddingService(load_embedder(settings.embedder))
    records = [
        (name, r)
        for name in SETS
        for r in read_records(ROOT / "eval" / name / "support.jsonl")
        if r.get("split") == "dev"
    ]
    x, hand = [], []
    for _, r in records:
        passage = str(r["passage"])
        features, missing = support_features(str(r["statement"]), [passage], passage, embeddings)
        x.append(features)
        # the hand blend this fit replaced: 0.5 span similarity + 0.5 overlap, below all when a fact is missing
        hand.append(0.5 * features[1] + 0.5 * features[2] - (1.0 if missing else 0.0))
    xa, ya = np.array(x), np.array([bool(r["supported"]) for _, r in records])
    groups = [f"{name}/{r['source']}" for name, r in records]
    in_set = {name: np.array([n == name for n, _ in records]) for name in SETS}

    held_out = np.zeros(len(ya))
    for train, test in GroupKFold(5).split(xa, ya, groups):
        held_out[test] = _fit(xa[train], ya[train]).predict_proba(_scaled(xa[test], xa[train]))[:, 1]
    print(f"{len(ya)} dev pairs, {int(ya.sum())} supported; ROC AUC, 5 folds by document (fitted | hand blend):")
    for label, mask in (("all", np.ones(len(ya), bool)), *in_set.items()):
        fitted, old = roc_auc_score(ya[mask], held_out[mask]), roc_auc_score(ya[mask], np.array(hand)[mask])
        print(f"  {label:8} {fitted:.3f} | {old:.3f}")

    model = _fit(xa, ya)
    mean, scale = xa.mean(0), xa.std(0) + 1e-9
    weights = model.coef_[0] / scale
    bias = float(model.intercept_[0] - (model.coef_[0] * mean / scale).sum())
    print("SUPPORT_FEATURES =", SUPPORT_FEATURES)
    print("SUPPORT_WEIGHTS =", tuple(round(float(w), 3) for w in weights))
    print(f"SUPPORT_BIAS = {bias:.3f}")
    print("threshold sweep on the held-out scores (a missing number or name is never verified):")
    missing = xa[:, SUPPORT_FEATURES.index("missing_numbers")] + xa[:, SUPPORT_FEATURES.index("missing_names")] > 0
    for t in np.arange(0.40, 0.86, 0.05):
        _operating_point(f"{t:.2f}", (held_out >= t) & ~missing, ya)
    _operating_point("the hand blend at its 0.55:", (np.array(hand) >= 0.55) & ~missing, ya)
    return 0


def _operating_point(label: str, verified: np.ndarray, gold: np.ndarray) -> None:
    tp = int((verified & gold).sum())
    precision = tp / max(int(verified.sum()), 1)
    print(f"  {label} precision {precision:.3f} recall {tp / gold.sum():.3f} accuracy {np.mean(verified == gold):.3f}")


def _scaled(x: np.ndarray, reference: np.ndarray) -> np.ndarray:
    return (x - reference.mean(0)) / (reference.std(0) + 1e-9)


def _fit(x: np.ndarray, y: np.ndarray) -> LogisticRegression:
    return LogisticRegression(C=1.0, max_iter=1000).fit(_scaled(x, x), y)


if __name__ == "__main__":
    raise SystemExit(main())
