"""Evaluation: eval sets, answer-quality metrics, runs with reports and comparisons, and BEIR retrieval benchmarks."""

from __future__ import annotations
