"""`make test` cleans up whatever signal ends it, also with SIGINT ignored (background)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]

INNER = """
import subprocess, sys, time
import pytest

@pytest.fixture
def server(tmp_path):
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    (tmp_path.parent.parent / "child.pid").write_text(str(process.pid))
    yield process
    process.terminate()
    process.wait()
    (tmp_path.parent.parent / "torn-down").write_text("yes")

def test_waits_for_a_signal(server):
    time.sleep(600)
"""


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_sigterm_tears_fixtures_down_even_with_sigint_ignored(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(INNER)
    base = tmp_path / "base"
    inner = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest",
         f"--basetemp={base}", str(tmp_path / "test_inner.py")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=_ignore_sigint,
    )  # fmt: skip
    child_pid = tmp_path / "child.pid"
    deadline = time.monotonic() + 120
    while not child_pid.exists():
        assert inner.poll() is None and time.monotonic() < deadline, inner.stdout.read()  # type: ignore[union-attr]
        time.sleep(0.1)
    child = psutil.Process(int(child_pid.read_text()))

    os.kill(inner.pid, signal.SIGINT)  # ignored, as in a background job: nothing happens
    os.kill(inner.pid, signal.SIGTERM)
    output, _ = inner.communicate(timeout=120)

    assert (tmp_path / "torn-down").exists(), output
    assert not child.is_running()
    assert inner.returncode == 2, output  # pytest's "interrupted"
