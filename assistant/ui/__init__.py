"""The Gradio app: Blocks wiring and thin callbacks over the pipeline, the output functions and uploads."""

from __future__ import annotations
