"""The services as real processes: uvicorn on a free 127.0.0.1 port, killable with -9,
freezable with SIGSTOP, restartable on the same port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Load tests must not meet the abuse limits (they are configuration: `off` disables one).
NO_RATE_LIMITS = {
    "REGISTRY_RATE_LIMIT_PER_TOKEN": "off",
    "ISSUER_RATE_LIMIT_PER_TOKEN": "off",
    "ISSUER_RATE_LIMIT_PUBLIC": "off",
}


class Service:
    """One uvicorn process serving ``factory``; ``start`` again after a kill reuses the port."""

    def __init__(self, name: str, factory: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.factory = factory
        self.env = {**os.environ, **NO_RATE_LIMITS, "PYTHONUNBUFFERED": "1", **env}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, *, ready_timeout: float = 60.0) -> None:
        self.starts += 1
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory", self.factory,
                 "--host", "127.0.0.1", "--port", str(self.port),
                 "--no-access-log", "--log-level", "warning"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.wait_ready(ready_timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.url}/livez", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at startup; see {self.log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not up after {timeout:.0f} s; see {self.log_path}")
            time.sleep(0.1)

    def kill(self) -> None:
        """kill -9: no shutdown handler runs, in-flight requests are cut."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGCONT)  # a frozen process cannot handle SIGTERM
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
