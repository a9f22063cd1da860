"""Start an ASGI app under uvicorn in a subprocess on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen[bytes]


@contextlib.contextmanager
def uvicorn_server(
    factory: str, env: dict[str, str], *, ready_path: str = "/livez", workers: int = 1,
    log: Path | None = None,
) -> Iterator[Server]:  # fmt: skip
    """``log``: where the app's own log lines go (its stdout), as a terminal would take
    them under ``make run``; without it they are the caller's."""
    port = free_port()
    with log.open("ab") if log is not None else contextlib.nullcontext() as stdout:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1",
             "--port", str(port), "--workers", str(workers), "--no-access-log",
             "--no-proxy-headers", "--log-level", "warning"],
            env={**os.environ, **env}, stdout=stdout,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a busy 2-core machine starts slowly
        while True:
            try:
                if httpx.get(base + ready_path, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{factory} did not start")
            time.sleep(0.2)
        yield Server(base, process)
    finally:
        process.terminate()
        process.wait(timeout=20)


def children(pid: int) -> list[int]:
    """uvicorn's worker processes (multiprocessing's resource tracker left out)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return [c for c in found if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    return round(kb / 1024, 1)


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
