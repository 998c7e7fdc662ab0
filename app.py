"""Start the chat: `python app.py [--host 127.0.0.1] [--port 7860] [--config assistant.toml]`.

Builds the index from the corpus folder on the first run, loads it and the models once, then serves.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from assistant.config import Settings, load_settings
from assistant.errors import AssistantError


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve the policy-question assistant's chat in the browser.")
    parser.add_argument("--host", default=None, help="address to listen on (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=None, help="port to listen on (default: 7860)")
    parser.add_argument("--config", type=Path, default=None, help="settings file (default: assistant.toml)")
    return parser.parse_args(argv)


def ensure_index(settings: Settings) -> None:
    """Build the index from the corpus folder when there is none yet (first run), or none in the configured store."""
    from assistant.index.generations import read_manifest
    from assistant.index.store import StoreTarget
    from assistant.ingest.update import ingest

    manifest = read_manifest(settings.index_dir)
    target = StoreTarget.from_settings(settings)
    if manifest is not None and manifest.store == target:
        return
    if manifest is None:
        print(f"No index in {settings.index_dir}/ yet: building it from {settings.corpus_dir}/ (first run only)…")
    else:
        print(f"The index lives in {manifest.store.describe()}; moving it to {target.describe()}…")
    report = ingest(settings)
    for path, reason in report.skipped:
        print(f"Skipped {path}: {reason}", file=sys.stderr)
    for path, reason in report.partial:
        print(f"Indexed {path} in part: {reason}", file=sys.stderr)
    print(f"Indexed {report.documents} documents, {report.chunks} passages in {report.seconds:.0f} s.")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = load_settings(args.config, host=args.host, port=args.port)
        ensure_index(settings)
        from assistant.pipeline import Assistant
        from assistant.ui.blocks import build_ui, launch

        assistant = Assistant.from_settings(settings)  # one loaded index and models, shared by every user
        demo = build_ui(settings, assistant)
        launch(demo, settings, assistant)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
