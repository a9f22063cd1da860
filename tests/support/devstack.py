"""``python -m services.devstack`` (what ``make run`` starts) in a scratch directory.

The stack gets its own embedded PostgreSQL, keys and credentials under ``workdir/.data``
and free ports; it runs in its own process group with SIGINT ignored, as any job a
non-interactive shell puts in the background, so only SIGTERM can stop it. Teardown
stops it with SIGTERM and, whatever happened, leaves no process of it behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from services.devstack.supervisor import die_with_parent
from tests.bench.servers import free_port


@dataclass
class Stack:
    workdir: Path
    process: subprocess.Popen[bytes]
    registry_port: int
    issuer_port: int

    @property
    def log(self) -> str:
        return (self.workdir / "stack.log").read_text()

    def url(self, service: str) -> str:
        port = self.registry_port if service == "registry" else self.issuer_port
        return f"http://127.0.0.1:{port}"

    def processes(self) -> list[psutil.Process]:
        """The stack, everything it started, and its embedded PostgreSQL."""
        found = [psutil.Process(self.process.pid)]
        found += found[0].children(recursive=True)
        postmaster = self.workdir / ".data" / "postgres" / "postmaster.pid"
        if postmaster.exists():
            with contextlib.suppress(psutil.NoSuchProcess, ValueError):
                postgres = psutil.Process(int(postmaster.read_text().split()[0]))
                found += [postgres, *postgres.children(recursive=True)]
        return found

    def service_pid(self, name: str) -> int:
        marker = f"services.{name}.app:main_app"
        children = psutil.Process(self.process.pid).children()
        return next(c.pid for c in children if marker in " ".join(c.cmdline()))

    def ready(self, service: str) -> bool:
        try:
            return httpx.get(f"{self.url(service)}/readyz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False


ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def stack_workdir() -> Iterator[Path]:
    """A scratch directory under ``.data/stacks`` (gitignored), removed afterwards.

    Not pytest's ``tmp_path``: run as root, pgserver runs PostgreSQL as its own user and
    opens up the directories above the data directory, but every pytest session started
    meanwhile on the machine closes ``/tmp/pytest-of-root`` again (mode 0700), which
    PostgreSQL then finds out in the middle of initdb.
    """
    parent = ROOT / ".data" / "stacks"
    parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(dir=parent))
    try:
        yield workdir
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _child_setup() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()  # a test run killed outright must not leave a stack behind


@contextlib.contextmanager
def running_stack(workdir: Path, **extra_env: str) -> Iterator[Stack]:
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("REGISTRY_", "ISSUER_"))
    }  # fmt: skip
    stack_env = env | {"REGISTRY_PORT": str(free_port()), "ISSUER_PORT": str(free_port())}
    with (workdir / "stack.log").open("a") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.devstack"], cwd=workdir, env=stack_env | extra_env,
            stdout=log, stderr=subprocess.STDOUT, process_group=0, preexec_fn=_child_setup,
        )  # fmt: skip
    stack = Stack(workdir, process, int(stack_env["REGISTRY_PORT"]), int(stack_env["ISSUER_PORT"]))
    try:
        deadline = time.monotonic() + 300  # a busy 2-core CI machine is slow to import
        while "Stop: Ctrl-C" not in stack.log or not (
            stack.ready("registry") and stack.ready("issuer")
        ):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(stack.log[-3000:])
            time.sleep(0.3)
        yield stack
    finally:
        stop(stack)


def stop(stack: Stack, timeout: float = 60) -> list[psutil.Process]:
    """SIGTERM the stack, wait for it; return whatever it left running (then kill that)."""
    tree = stack.processes() if stack.process.poll() is None else []
    stack.process.send_signal(signal.SIGTERM)
    try:
        stack.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(stack.process.pid, signal.SIGKILL)
        stack.process.wait()
    _gone, alive = psutil.wait_procs(tree, timeout=5)
    for process in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    return alive
