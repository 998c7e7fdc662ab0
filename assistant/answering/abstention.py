"""The sentence an abstention opens with, whichever stage decides to abstain: an answerer or the verifier."""

from __future__ import annotations


def not_in_documents(question: str, why: str = "") -> str:
    """Return "The documents in the corpus do not say: “QUESTION?”", then `why` (a whole sentence) if given."""
    asked = question.strip().rstrip("?").strip()
    reason = f"The documents in the corpus do not say: “{asked}?”"
    return f"{reason} {why}" if why else reason
