"""A chat-completions endpoint on 127.0.0.1 speaking the OpenAI API, whose replies a test scripts.

It stands in for a model server (Ollama, llama.cpp, vLLM): the generative answerer talks to it over real
HTTP through LangChain and the openai client.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from assistant.answering.generative import NOT_FOUND

# Reply = f(system prompt, user message); the test sets it before asking.
Reply = Callable[[str, str], str]


class FakeOpenAI:
    """A chat-completions endpoint on 127.0.0.1 (free port) whose replies the test scripts."""

    def __init__(self) -> None:
        self.reply: Reply = lambda system, user: NOT_FOUND
        self.status = 200
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                if fake.status != 200:
                    self._send(fake.status, {"error": {"message": "model crashed", "type": "server_error"}})
                    return
                system = next(m["content"] for m in body["messages"] if m["role"] == "system")
                user = next(m["content"] for m in body["messages"] if m["role"] == "user")
                content = fake.reply(system, user)
                self._send(
                    200,
                    {
                        "id": "chatcmpl-test",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body.get("model", "fake"),
                        "choices": [
                            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    },
                )

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
