"""Two app replicas, one index: a document uploaded through one is answerable through the other, no restart.

A Milvus Lite *file* admits one process (tests/test_milvus_store.py shows the second one's error), so the
replicas share Milvus the way a deployment does: through a server, here `milvus-lite server` (Milvus
Lite's own gRPC server, spoken to over the same pymilvus protocol as Milvus standalone), with the
corpus and index folders shared. Each replica loads its own models and notices the other's updates
by the published generation (Assistant.current_retriever).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from app_process import AppStartError, free_port, started_app, wait_until_listening

from assistant.config import Settings
from assistant.index.generations import load_index
from assistant.index.milvus_store import MilvusStore
from assistant.index.store import StoreTarget
from assistant.ingest.update import ingest
from assistant.ui.web import STOP_GRACE_S

pytestmark = pytest.mark.integration

STARTUP_S = 240
FACT = (
    "The Harbour Watch programme in Valletta trained 312 port officers in 2023 "
    "to detect migrant smuggling on cargo ships."
)
QUESTION = "How many port officers did the Harbour Watch programme train?"


@contextmanager
def milvus_lite_server(data_dir: Path, log: Path) -> Iterator[str]:
    """Run `milvus-lite server` on a free port; yield its URI."""
    port = free_port()
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(data_dir), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, log.read_text()
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.2)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(timeout=30)


def chat_reply(client: Any, question: str) -> str:
    """Return the HTML of the app's answer to `question`, asked in a fresh conversation."""
    output = client.predict(question, [], [], [], "hybrid", 10, "extractive", api_name="/ask")
    content = output[0][-1]["content"]
    if isinstance(content, list):  # gradio_client hands a message back as a list of {"type", "text"} parts
        content = " ".join(str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in content)
    return str(content)


def test_an_upload_through_one_replica_is_answered_by_the_other(
    seed_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from gradio_client import Client, handle_file

    root = tmp_path_factory.mktemp("replicas")
    corpus, index = root / "corpus", root / "index"
    shutil.copytree(seed_settings.corpus_dir, corpus, ignore=shutil.ignore_patterns("uploads"))
    shutil.copytree(seed_settings.index_dir, index, ignore=shutil.ignore_patterns(".lock"))
    upload = root / "harbour-watch.txt"
    upload.write_text(f"Harbour Watch\n\n{FACT}\n", encoding="utf-8")

    with ExitStack() as stack:
        uri = stack.enter_context(milvus_lite_server(root / "milvus", root / "milvus.log"))
        settings = seed_settings.replace(corpus_dir=corpus, index_dir=index, store="milvus", milvus_uri=uri)
        assert ingest(settings).store_changed  # the seed index, moved into the shared Milvus
        env = {
            "ASSISTANT_CORPUS_DIR": str(corpus),
            "ASSISTANT_INDEX_DIR": str(index),
            "ASSISTANT_CONFIG": str(root / "none.toml"),
            "ASSISTANT_STORE": "milvus",
            "ASSISTANT_MILVUS_URI": uri,
            # No sentence reranking: each replica would embed every sentence of the corpus on each new index.
            "ASSISTANT_RETRIEVAL_MODE": "hybrid",
        }
        # Both start at once, as replicas of a deployment do: each loads its models on its own core.
        first = stack.enter_context(started_app(root, env, unset=("ASSISTANT_AUTH",)))
        second = stack.enter_context(started_app(root, env, unset=("ASSISTANT_AUTH",)))
        try:
            for app in (first, second):
                wait_until_listening(app, STARTUP_S)
        except AppStartError as exc:
            pytest.fail(str(exc))
        one = Client(first.url, verbose=False, download_files=False, analytics_enabled=False)
        two = Client(second.url, verbose=False, download_files=False, analytics_enabled=False)

        assert "312" not in chat_reply(two, QUESTION)  # not in the documents yet
        status = one.predict([handle_file(str(upload))], api_name="/add_files")[0]
        assert "harbour-watch.txt" in str(status)
        assert "312" in chat_reply(two, QUESTION)  # the other replica answers from the upload
        assert "312" in chat_reply(one, QUESTION)

        store = load_index(index, StoreTarget.from_settings(settings)).store
        assert isinstance(store, MilvusStore)
        assert any(c.source == "uploads/harbour-watch.txt" for c in store.chunks)
        assert store.count() == len(store.chunks)  # one collection, consistent with the shared manifest
        for app in (first, second):
            assert "Traceback" not in app.log.read_text()
        # A replica told to stop (SIGTERM, as `docker stop` sends) stops though its clients keep Gradio's event
        # streams open; uvicorn used to wait for them to close, and the replica ran until killed.
        first.process.terminate()
        first.process.wait(timeout=STOP_GRACE_S + 15)
        assert "Traceback" not in first.log.read_text()  # the streams it ended are no error
