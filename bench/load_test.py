"""Load test: N simulated chat users asking the app questions at once, through Gradio's own client.

Usage: .venv/bin/python bench/load_test.py [--users 20] [--duration 60] [--url URL --token API_TOKEN]

Without --url it starts `python app.py` on a free 127.0.0.1 port, on a copy of corpus/ in a temp folder
(app.py builds the index there on start, with the current settings), and stops it at the end. Each user is one
gradio_client session (its own conversation, as a browser tab) that asks the questions of
eval/questions.jsonl in turn, each user starting at a different one, and asks the next as soon as the
answer is complete. Users start no new question after --duration seconds; a question still unanswered
--grace seconds later counts as an error. Latency is from sending the question to the complete answer,
queueing in the app included (the app answers `concurrency_limit` questions at a time).

Prints a table and writes it, with the command and the machine, to eval/benchmarks/load.md (--out).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from app_process import AppStartError, running_app  # noqa: E402

STARTUP_S = 600  # building the index on a first run takes minutes on 2 cores


@dataclass
class Result:
    user: int
    question: str
    started: float  # seconds since the test began
    latency_s: float
    error: str = ""
    abstained: bool = False


@dataclass
class Run:
    results: list[Result] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, result: Result) -> None:
        with self.lock:
            self.results.append(result)


@contextmanager
def local_app() -> Iterator[str]:
    """Yield the URL of `python app.py` started on copies of the corpus and index; stop it afterwards."""
    with tempfile.TemporaryDirectory(prefix="load-test-") as tmp:
        root = Path(tmp)
        # No copy of index/: app.py builds a fresh one with today's settings from the corpus (not timed).
        shutil.copytree(REPO / "corpus", root / "corpus", ignore=shutil.ignore_patterns("uploads"))
        env = {
            "ASSISTANT_CORPUS_DIR": str(root / "corpus"),
            "ASSISTANT_INDEX_DIR": str(root / "index"),
            "ASSISTANT_CONFIG": str(root / "none.toml"),
        }
        try:
            with running_app(root, env, STARTUP_S, unset=("ASSISTANT_AUTH",)) as app_process:
                yield app_process.url
        except AppStartError as exc:
            sys.exit(str(exc))


def answer_error(output: object) -> str:
    """Return why the /ask output is not an answer or abstention ("" when it is one)."""
    chat = output[0] if isinstance(output, (list, tuple)) and output else None
    if not isinstance(chat, list) or not chat:
        return f"no chat messages in the output: {str(output)[:200]}"
    last = chat[-1]
    content = last.get("content", "") if isinstance(last, dict) else last
    if isinstance(content, list):  # gradio_client hands a message back as a list of {"type", "text"} parts
        content = " ".join(str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in content)
    content = str(content)
    if 'class="answer error"' in content:
        return "the app refused the question: " + content[:200]
    if 'class="answer' not in content:
        return "the last message is not an answer: " + content[:200]
    return ""


def connect(url: str, token: str | None) -> Any:
    """Return a gradio_client session: one browser tab's worth of state on the server."""
    from gradio_client import Client

    headers = {"Authorization": f"Bearer {token}"} if token else None  # `assistant users token NAME`
    return Client(url, headers=headers, verbose=False, download_files=False, analytics_enabled=False)


def chat_user(user: int, client: Any, questions: list[str], begin: float, stop: float, run: Run) -> None:
    """Ask questions, one after the other, until `stop` (a time.monotonic() value)."""
    n = user * 7  # users start at different questions, so the app does not see 20 copies of one
    while time.monotonic() < stop:
        question = questions[n % len(questions)]
        n += 1
        started = time.monotonic()
        try:
            output = client.predict(question, [], [], [], "hybrid+rerank", 10, "extractive", api_name="/ask")
            error = answer_error(output)
            abstained = "No answer found in the documents" in str(output[0][-1])
        except Exception as exc:  # noqa: BLE001 (every failure is recorded and counted)
            error, abstained = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}", False
        run.add(Result(user, question, started - begin, time.monotonic() - started, error, abstained))


def table(run: Run, users: int, window_s: float, elapsed_s: float, unfinished: int) -> str:
    latencies = np.array([r.latency_s for r in run.results if not r.error]) if run.results else np.array([])
    errors = sum(1 for r in run.results if r.error) + unfinished
    done = len(latencies)
    abstained = sum(1 for r in run.results if not r.error and r.abstained)
    p50, p95, top = (np.percentile(latencies, [50, 95]).tolist() + [latencies.max()]) if done else (0.0, 0.0, 0.0)
    rows = [
        "| users | duration s | requests | errors | answered / abstained | throughput req/s | p50 s | p95 s | max s |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {users} | {window_s:.0f} (+{elapsed_s - window_s:.0f} to finish) | {done + errors} | {errors} | "
        f"{done - abstained} / {abstained} | {done / elapsed_s:.2f} | {p50:.1f} | {p95:.1f} | {top:.1f} |",
    ]
    return "\n".join(rows)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPU cores ({cpu}), no GPU; load average before the run (1/5/15 min): {load}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds during which users ask")
    parser.add_argument("--grace", type=float, default=180.0, help="seconds after that for answers to finish")
    parser.add_argument("--url", default=None, help="a running app (default: start app.py on a free port)")
    parser.add_argument("--token", default=None, metavar="API_TOKEN", help="an API token of the app at --url")
    parser.add_argument("--dataset", type=Path, default=REPO / "eval" / "questions.jsonl")
    parser.add_argument("--out", type=Path, default=REPO / "eval" / "benchmarks" / "load.md")
    args = parser.parse_args()
    lines = args.dataset.read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]
    where = machine()

    with local_app() if args.url is None else _given(args.url) as url:
        # Every user connects first (each fetches the app's config); then the clock starts for all at once.
        with ThreadPoolExecutor(args.users) as pool:
            clients = list(pool.map(lambda _: connect(url, args.token), range(args.users)))
        # One untimed question first: the first answer after a start computes the reranker's sentence vectors.
        warm = clients[0].predict(questions[0], [], [], [], "hybrid+rerank", 10, "extractive", api_name="/ask")
        if answer_error(warm):
            sys.exit(f"the warm-up question failed: {answer_error(warm)}")
        run = Run()
        begin = time.monotonic()
        stop = begin + args.duration
        threads = [
            threading.Thread(target=chat_user, args=(i, c, questions, begin, stop, run), daemon=True)
            for i, c in enumerate(clients)
        ]
        print(f"{args.users} users asking {url} for {args.duration:.0f} s ...", file=sys.stderr)
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=max(0.0, stop + args.grace - time.monotonic()))
        elapsed = time.monotonic() - begin
        unfinished = sum(t.is_alive() for t in threads)
        for client in clients:
            with suppress(Exception):
                client.close()

    report = table(run, args.users, args.duration, elapsed, unfinished)
    print(report)
    errors = [r for r in run.results if r.error]
    for r in errors[:10]:
        print(f"error (user {r.user}, {r.question[:60]!r}): {r.error}", file=sys.stderr)
    command = "python bench/load_test.py " + " ".join(sys.argv[1:])
    target = "a running app" if args.url else "app.py started on a free localhost port"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        "# Load: concurrent chat users against app.py\n\n"
        f"Reproduce: `{command.strip()}` ({target}; "
        "each user is one gradio_client session asking eval/questions.jsonl in turn through the `/ask` endpoint, "
        "default settings: extractive answerer, hybrid+rerank, 10 passages, the app answering 4 questions at once).\n\n"
        f"Machine: {where}.\n\n"
        f"{report}\n\n"
        "Latency is from sending a question to the complete answer, waiting in the app's queue included; "
        "throughput is answered questions per second over the whole run. Errors are exceptions, refusals or "
        "outputs that are not an answer or abstention, and questions unanswered when the run ends. Each user keeps "
        "its conversation, so later questions go through follow-up rewriting as in the browser. The simulated users "
        "run on the same cores as the app and take CPU from it, and the machine may be shared: read the numbers as "
        "a lower bound, and compare runs on one machine only.\n",
        encoding="utf-8",
    )
    print(f"wrote {args.out}", file=sys.stderr)
    return 1 if errors or unfinished else 0


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url


if __name__ == "__main__":
    sys.exit(main())
