"""`make run`'s process handling with real processes: stops clean, survives a dead service."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import httpx
import psutil

from tests.support.devstack import running_stack, stack_workdir, stop


def test_sigterm_stops_both_services_and_postgres_leaving_nothing_behind() -> None:
    with stack_workdir() as workdir, running_stack(workdir) as stack:
        tree = stack.processes()
        names = " ".join(" ".join(p.cmdline()) for p in tree)
        assert "services.registry.app" in names and "services.issuer.app" in names
        assert "postgres" in names, "the embedded PostgreSQL belongs to the stack"

        left_behind = stop(stack)

        assert left_behind == [], [p.pid for p in left_behind]
        assert not any(p.is_running() for p in tree)
        assert stack.process.returncode == 0, stack.log[-2000:]
        assert "SIGTERM: stopping" in stack.log
        assert "Warning" not in stack.log, "a fresh start prints no warnings"


def test_a_killed_service_leaves_the_other_up_and_is_reported() -> None:
    with stack_workdir() as workdir, running_stack(workdir) as stack:
        registry = psutil.Process(stack.service_pid("registry"))
        os.kill(registry.pid, signal.SIGKILL)
        registry.wait(timeout=10)

        assert _eventually(lambda: "registry stopped" in stack.log), stack.log[-2000:]
        assert f"registry stopped (killed by SIGKILL), pid {registry.pid}" in stack.log
        assert "still running: issuer" in stack.log
        assert stack.ready("issuer"), "the issuer keeps answering without the registry"
        assert stack.process.poll() is None

        left_behind = stop(stack)
        assert left_behind == []
        assert stack.process.returncode == 0, stack.log[-2000:]


def _eventually(check: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_client_cannot_choose_its_address_with_x_forwarded_for() -> None:
    """`make run` trusts no proxy (``*_TRUSTED_PROXIES`` empty): a local client that sends
    its own X-Forwarded-For is still counted by its real address for public limits.
    (uvicorn believes the header from 127.0.0.1 unless told not to.)"""
    with (
        stack_workdir() as workdir,
        running_stack(workdir, ISSUER_RATE_LIMIT_PUBLIC="3/minute") as stack,
    ):
        statuses = [
            httpx.get(
                f"{stack.url('issuer')}/v1/verify/NOT-A-CODE",
                headers={"X-Forwarded-For": f"203.0.113.{n}", "Accept": "application/json"},
                timeout=10,
            ).status_code
            for n in range(5)
        ]
        assert statuses[:3] == [404, 404, 404] and statuses[3:] == [429, 429], statuses
