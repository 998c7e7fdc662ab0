"""Start `python app.py` in a subprocess on a free localhost port and wait until it serves.

Shared by the browser, security and replica tests and by bench/load_test.py, which all need a real
app process on temporary copies of the corpus and index.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


class AppStartError(RuntimeError):
    """app.py exited or did not listen in time; the message ends with the tail of its log."""


@dataclass(frozen=True, slots=True)
class AppProcess:
    port: int
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


_handed_out: set[int] = set()


def free_port() -> int:
    """Return a free localhost port that this process has not handed out before (an app there may not listen yet)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port


@contextmanager
def running_app(
    root: Path, env: Mapping[str, str], startup_s: float, unset: tuple[str, ...] = ()
) -> Iterator[AppProcess]:
    """Run app.py with cwd `root` and os.environ updated by `env` (minus `unset`); stop it on exit.

    The app is ready once its port accepts connections: uvicorn listens only after Gradio's startup.
    """
    with started_app(root, env, unset) as app:
        wait_until_listening(app, startup_s)
        yield app


@contextmanager
def started_app(root: Path, env: Mapping[str, str], unset: tuple[str, ...] = ()) -> Iterator[AppProcess]:
    """Start app.py as running_app does, without waiting for it to listen; stop it on exit.

    Apps started one after the other this way load their models side by side, one per core.
    """
    port = free_port()
    full_env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", **env}
    for name in unset:
        full_env.pop(name, None)
    log_path = root / f"app-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "app.py"), "--port", str(port)],
            cwd=root,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield AppProcess(port, log_path, process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_listening(app: AppProcess, startup_s: float) -> None:
    """Return once `app` accepts connections; raise AppStartError if it exits or is not listening in `startup_s`."""
    _wait_until_listening(app.process, app.port, app.log, startup_s)


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, log: Path, startup_s: float) -> None:
    deadline = time.monotonic() + startup_s
    while True:
        if process.poll() is not None:
            raise AppStartError(f"app.py exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AppStartError(f"app.py did not start in {startup_s} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)
