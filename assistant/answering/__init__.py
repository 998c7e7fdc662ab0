"""Answering: question analysis, sentence ranking, the extractive and generative answerers, and verification."""

from __future__ import annotations
