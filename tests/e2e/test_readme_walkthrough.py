"""The README's walkthrough, run verbatim against a real `make run` stack.

A newcomer follows the README alone; if a command there stops working, this fails.
The stack runs from a scratch directory (its own embedded PostgreSQL, keys and
credentials) on free ports, exactly as `python -m services.devstack` starts it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.bench.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def walkthrough_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    blocks = []
    for start, end in (
        ("<!-- walkthrough:", "<!-- end of walkthrough -->"),
        # Minors (terminals) and stays (authorities), run in the walkthrough's shell.
        ("<!-- more walkthrough:", "<!-- end of more walkthrough -->"),
    ):
        section = readme.split(start, 1)[1].split(end, 1)[0]
        blocks += re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    return blocks


@pytest.fixture
def running_stack(tmp_path: Path):  # type: ignore[no-untyped-def]
    registry_port, issuer_port = free_port(), free_port()
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("REGISTRY_", "ISSUER_"))
    }  # fmt: skip
    env |= {"REGISTRY_PORT": str(registry_port), "ISSUER_PORT": str(issuer_port)}
    log = (tmp_path / "stack.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "services.devstack"], cwd=tmp_path, env=env,
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        credentials = tmp_path / ".data" / "dev-credentials.json"
        while not _ready(credentials, issuer_port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((tmp_path / "stack.log").read_text()[-3000:])
            time.sleep(0.5)
        yield tmp_path, registry_port, issuer_port
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
    assert process.returncode is not None


def _ready(credentials: Path, issuer_port: int) -> bool:
    if not credentials.exists():
        return False
    try:
        return httpx.get(f"http://127.0.0.1:{issuer_port}/readyz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_the_readme_walkthrough_ends_with_a_verified_certificate(running_stack) -> None:  # type: ignore[no-untyped-def]
    workdir, registry_port, issuer_port = running_stack
    script = "\n".join(walkthrough_blocks())
    script = script.replace("127.0.0.1:8001", f"127.0.0.1:{registry_port}")
    script = script.replace("127.0.0.1:8002", f"127.0.0.1:{issuer_port}")
    for attempt in ("first run", "second run (everything re-sent)"):
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script], cwd=workdir,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        output = result.stdout
        assert result.returncode == 0, (attempt, result.stderr[-2000:], output[-2000:])
        assert '"code":"CONTROL_POINT_UNKNOWN"' in output, attempt
        assert '"code":"NATIONAL_ID_INVALID"' in output, attempt
        assert '"status":"ISSUED"' in output, attempt
        assert '"status":"VALID"' in output, attempt
        assert '"match":true' in output and '"signature_valid":true' in output, attempt
        assert "BEGIN CERTIFICATE" in output, attempt
        assert '"anomalies":["MINOR_EXIT_WITHOUT_AUTHORIZATION"]' in output, attempt
        assert '"status":"ABROAD"' in output, attempt
        assert '"days_in_ecuador":{"last_90":0,"last_180":38,"last_365":123}' in output, attempt
        assert (workdir / "certificado.pdf").read_bytes().startswith(b"%PDF"), attempt
    history = next(line for line in output.splitlines() if line.startswith('{"person"'))
    assert json.loads(history)["person"]["national_id"] == "1710034065"
