"""The README's walkthrough, run verbatim against a real `make run` stack.

A newcomer follows the README alone; if a command there stops working, this fails.
The stack runs from a scratch directory (its own embedded PostgreSQL, keys and
credentials) on free ports, exactly as `python -m services.devstack` starts it, with
SIGINT ignored (as in any background job) so only a proper SIGTERM stops it.

The walkthrough must also work again on another day against the same `.data`: the
first pass runs it as if it were yesterday, the stack is restarted, and it runs twice
today (the second time everything is re-sent and answered idempotently).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.support.devstack import Stack, running_stack, stack_workdir

ROOT = Path(__file__).resolve().parents[2]
TODAY_LINE = re.compile(r"^TODAY=.*$", flags=re.MULTILINE)


def readme_section(start: str, end: str) -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split(start, 1)[1].split(end, 1)[0]


def walkthrough_blocks() -> list[str]:
    blocks = []
    for start, end in (
        ("<!-- walkthrough:", "<!-- end of walkthrough -->"),
        # Minors (terminals) and stays (authorities), run in the walkthrough's shell.
        ("<!-- more walkthrough:", "<!-- end of more walkthrough -->"),
    ):
        section = readme_section(start, end)
        blocks += re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    return blocks


def cli_example() -> str:
    section = readme_section("<!-- cli-example:", "```\n")
    return section.split("```bash\n", 1)[1]


def _run(stack: Stack, script: str, attempt: str) -> str:
    script = script.replace("http://127.0.0.1:8001", stack.url("registry"))
    script = script.replace("http://127.0.0.1:8002", stack.url("issuer"))
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", f"trap '' INT\n{script}"], cwd=stack.workdir,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, (attempt, result.stderr[-2000:], result.stdout[-2000:])
    return result.stdout


def _assert_walked_through(output: str, workdir: Path, attempt: str) -> None:
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


@pytest.fixture
def workdir() -> Iterator[Path]:
    with stack_workdir() as path:
        yield path


def test_the_readme_walkthrough_works_today_after_yesterday_on_the_same_data(
    workdir: Path,
) -> None:
    script = "\n".join(walkthrough_blocks())
    assert len(TODAY_LINE.findall(script)) == 1, "the walkthrough sets TODAY once"
    yesterday = datetime.now(ZoneInfo("America/Guayaquil")).date() - timedelta(days=1)
    as_if_yesterday = TODAY_LINE.sub(f"TODAY={yesterday.isoformat()}", script)

    with running_stack(workdir) as stack:
        output = _run(stack, as_if_yesterday, "yesterday")
        _assert_walked_through(output, workdir, "yesterday")
        yesterdays_certificate = json.loads(_certificate_line(output))["certificate"]

    with running_stack(workdir) as stack:  # the next day: same .data, restarted stack
        for attempt in ("today", "today again (everything re-sent)"):
            output = _run(stack, script, attempt)
            _assert_walked_through(output, workdir, attempt)
            certificate = json.loads(_certificate_line(output))["certificate"]
            assert certificate["number"] != yesterdays_certificate["number"], attempt
        history = next(line for line in output.splitlines() if line.startswith('{"person"'))
        assert json.loads(history)["person"]["national_id"] == "1710034065"

        bin_dir = Path(sys.executable).parent
        cli = cli_example().replace("uv run ", f"{bin_dir}/")
        output = _run(stack, cli, "the CLI example")
        assert len(output.strip().splitlines()) >= 3, output


def _certificate_line(output: str) -> str:
    return next(line for line in output.splitlines() if '"certificate":{' in line)
