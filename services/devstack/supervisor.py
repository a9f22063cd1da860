"""Run the development services as child process groups and stop them on a signal.

Honcho and foreman stop every process when one exits; the development stack must
instead keep the others up and say which one died and why, so this is the small
part of a process manager we need, built on the kernel's primitives instead of a
polling loop:

* each service runs in its own process group, so a stop reaches whatever it forked;
* SIGINT, SIGTERM, SIGHUP and SIGCHLD are blocked and taken with ``sigtimedwait``
  (no handler runs in the middle of other code, nothing is missed between checks);
* a stop sends SIGTERM to every group, waits a bounded time, then SIGKILLs;
* on Linux each service also gets SIGTERM if this process dies without stopping it
  (``PR_SET_PDEATHSIG``), so even a SIGKILL of the stack leaves no server running.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1


@dataclass
class Service:
    name: str
    argv: list[str]
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    reported: bool = False

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def describe_exit(returncode: int) -> str:
    """``-9`` → ``killed by SIGKILL``; ``3`` → ``exit code 3``."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


def die_with_parent() -> None:
    """For a child, between fork and exec: SIGTERM when its parent dies (Linux only)."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Supervisor:
    """Start services, report deaths, stop all of them on SIGINT/SIGTERM/SIGHUP.

    A SIGINT that the caller ignores (``trap '' INT``, a background job) stays
    ignored: only the signals the stack was allowed to receive stop it.
    """

    def __init__(self, services: list[Service], *, say: Callable[[str], None]) -> None:
        self.services = services
        self.say = say
        self.watched = {signal.SIGCHLD} | {
            s for s in STOP_SIGNALS if signal.getsignal(s) is not signal.SIG_IGN
        }
        self.stop_signal: signal.Signals | None = None

    def __enter__(self) -> Supervisor:
        signal.pthread_sigmask(signal.SIG_BLOCK, self.watched)
        for service in self.services:
            service.process = subprocess.Popen(
                service.argv, env=service.env, process_group=0, preexec_fn=self._child_setup
            )
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, self.watched)

    def _child_setup(self) -> None:
        # Runs in the child between fork and exec: give it a normal signal state.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, self.watched | set(STOP_SIGNALS))
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_DFL)
        die_with_parent()

    def wait(self, timeout: float | None = None) -> bool:
        """Handle signals for up to ``timeout`` seconds (forever if None).

        Returns False once a stop was requested or every service has exited.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.stop_signal is None and any(s.running for s in self.services):
            remaining = 3600.0 if deadline is None else deadline - time.monotonic()
            if remaining <= 0:
                return True
            info = signal.sigtimedwait(self.watched, remaining)
            if info is None:
                continue
            if info.si_signo == signal.SIGCHLD:
                self._report_exits()
            else:
                self.stop_signal = signal.Signals(info.si_signo)
        self._report_exits()
        return False

    def _report_exits(self) -> None:
        for service in self.services:
            if service.process is None or service.reported or service.running:
                continue
            service.reported = True
            alive = [s.name for s in self.services if s.running]
            still = f"; still running: {', '.join(alive)}" if alive else "; nothing left running"
            self.say(
                f"{service.name} stopped ({describe_exit(service.process.returncode)}), "
                f"pid {service.process.pid}{still}"
            )

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM every service's process group, then SIGKILL what outlives ``grace``."""
        for service in self.services:
            self._signal_group(service, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for service in self.services:
            if service.process is None:
                continue
            try:
                service.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{service.name} did not stop in {grace:.0f} s; killing it")
            # Kill the group even after a clean exit: nothing it forked may outlive it.
            self._signal_group(service, signal.SIGKILL)
            service.process.wait()
        for service in self.services:
            service.reported = True

    @staticmethod
    def _signal_group(service: Service, signum: signal.Signals) -> None:
        if service.process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
            os.killpg(service.process.pid, signum)
