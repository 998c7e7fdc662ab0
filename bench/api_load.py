"""Load test of the HTTP API: N concurrent clients asking through `/v1/chat/completions` (non-streaming).

Usage: .venv/bin/python bench/api_load.py [--clients 20] [--duration 60] [--url URL --token TOKEN]

Without --url it starts a server in a subprocess on a free 127.0.0.1 port: the API mounted on a bare FastAPI
app (as the login layer will mount it), over the seed corpus (its index built once in .cache/api-load/), with
one token per client; the default limits (60 requests a minute per token, the answer gate of
`concurrency_limit` slots that waits up to 30 s). Each client is the official `openai` client with retries off,
asking the questions of eval/questions.jsonl in turn from a different start, the next as soon as the answer
is in. Latency is from sending to the complete reply, waiting at the gate included.

Prints a table and writes it, with the machine, to eval/benchmarks/api.md (--out).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # seconds, answered requests only
    codes: Counter[str] = field(default_factory=Counter)
    abstained: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def serve(port: int, clients: int) -> None:
    """Serve the API on 127.0.0.1:`port` over the seed corpus, one token per client (`bench-0`...)."""
    import uvicorn
    from fastapi import FastAPI

    from assistant.accounts.roles import User
    from assistant.api import mount_api, token_identify
    from assistant.config import load_settings
    from assistant.ingest.update import ingest
    from assistant.pipeline import Assistant

    settings = load_settings(None, corpus_dir=REPO / "corpus", index_dir=REPO / ".cache/api-load/index")
    ingest(settings)  # incremental: instant once built
    assistant = Assistant.from_settings(settings)
    # The first answer loads the reranker, the answer scorer and the term statistics (seconds): done before
    # listening, as a server that has answered before, so the run measures serving and not loading.
    assistant.ask("When and where did the Expert Meeting on Preventing Facilitation of Irregular Migration take place?")
    tokens = {f"bench-{i}": User(f"client{i}", "trainee") for i in range(clients)}
    app = FastAPI()
    mount_api(app, settings, assistant, token_identify(tokens))
    print(f"serving, concurrency_limit={settings.concurrency_limit}", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def client_loop(url: str, token: str, questions: list[str], start: int, until: float, tally: Tally) -> None:
    import openai

    client = openai.OpenAI(base_url=f"{url}/v1", api_key=token, max_retries=0, timeout=120)
    i = start
    while time.monotonic() < until:
        question = questions[i % len(questions)]
        i += 1
        began = time.perf_counter()
        try:
            reply = client.chat.completions.create(
                model="policy-assistant", messages=[{"role": "user", "content": question}]
            )
            code, abstained = "200", bool((reply.model_extra or {}).get("abstained"))
        except openai.APIStatusError as exc:
            code, abstained = str(exc.status_code), False
        except openai.APIError as exc:
            code, abstained = type(exc).__name__, False
        took = time.perf_counter() - began
        with tally.lock:
            tally.codes[code] += 1
            if code == "200":
                tally.latencies.append(took)
                tally.abstained += abstained


def wait_for(port: int, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server exited before listening")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise SystemExit("the server did not listen in time")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--url", default="", help="a running server (default: start one on the seed corpus)")
    parser.add_argument("--token", default="", help="with --url: the API token every client uses")
    parser.add_argument("--out", type=Path, default=REPO / "eval/benchmarks/api.md")
    parser.add_argument("--serve", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.clients)
        return 0
    questions = [json.loads(line)["question"] for line in (REPO / "eval/questions.jsonl").read_text().splitlines()]
    process = None
    url = args.url.rstrip("/")
    if not url:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        process = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port), "--clients", str(args.clients)], cwd=REPO
        )
        wait_for(port, process, 900)
        url = f"http://127.0.0.1:{port}"
    tokens = [args.token or f"bench-{i}" for i in range(args.clients)]
    load_before = os.getloadavg()
    tally = Tally()
    until = time.monotonic() + args.duration
    started = time.perf_counter()
    threads = [
        threading.Thread(target=client_loop, args=(url, tokens[i], questions, i * 5, until, tally))
        for i in range(args.clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    if process is not None:
        process.terminate()
        process.wait(timeout=30)
    write_report(args, tally, wall, load_before)
    return 0


def write_report(args: argparse.Namespace, tally: Tally, wall: float, load_before: tuple[float, ...]) -> None:
    lat = np.array(tally.latencies) if tally.latencies else np.array([np.nan])
    total = sum(tally.codes.values())
    limited = tally.codes.get("429", 0)
    errors = total - tally.codes.get("200", 0) - limited
    row = (
        f"| {args.clients} | {args.duration:.0f} (+{wall - args.duration:.0f} to finish) | {total} | {errors} "
        f"| {limited} "
        f"| {len(tally.latencies) - tally.abstained} / {tally.abstained} | {len(tally.latencies) / wall:.2f} "
        f"| {np.percentile(lat, 50):.1f} | {np.percentile(lat, 95):.1f} | {lat.max():.1f} |"
    )
    header = (
        "| clients | duration s | requests | errors | 429s | answered / abstained | answers/s "
        "| p50 s | p95 s | max s |\n"
        "|---|---|---|---|---|---|---|---|---|---|"
    )
    print(header + "\n" + row)
    print("status codes:", dict(tally.codes))
    cpu = platform.processor() or platform.machine()
    text = f"""# Load: concurrent API clients through /v1/chat/completions

Reproduce: `python bench/api_load.py` (a server on a free localhost port: the API on a bare FastAPI app over
the seed corpus, answering one question before it listens (loading the models); default settings: extractive
answerer, hybrid+rerank, the answer gate of `concurrency_limit`
= 4 slots that a request waits up to 30 s for, 60 requests a minute per token; one token per client). Each
client is the official `openai` client, retries off, non-streaming, asking eval/questions.jsonl in turn.

Machine: {os.cpu_count()} CPU cores ({cpu}), no GPU; load average before the run (1/5/15 min):
{" / ".join(f"{x:.1f}" for x in load_before)}.

{header}
{row}

Status codes: {dict(tally.codes)}. Latency is from sending the request to the complete reply, waiting at
the gate included; answers/s counts answered requests over the whole run. Errors are anything but a 200 or
a 429 (timeouts, 5xx, connection errors). The clients run on the same cores as the server and take CPU from
it: read the numbers as a lower bound, and compare runs on one machine only.
"""
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
