"""The PgBouncer setting really works: through a real PgBouncer in transaction mode
(1.18 here, which does not track prepared statements), concurrent sessions of an engine
built with ``*_DATABASE_PGBOUNCER=true`` share two server connections without a
prepared-statement collision. Skipped where pgbouncer is not installed (apt-get install
pgbouncer)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import driver_pool_from_settings, engine_from_settings, transaction
from shared.devdb import ServiceDatabase
from shared.settings import DatabaseSettings

pytestmark = pytest.mark.skipif(shutil.which("pgbouncer") is None, reason="pgbouncer missing")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def pgbouncer(database: ServiceDatabase, directory: Path, pool_size: int = 2) -> Iterator[str]:
    app = urlsplit(database.app_url)
    host = parse_qs(app.query).get("host", [app.hostname or "127.0.0.1"])[0]
    port = _free_port()
    directory.chmod(0o755)
    (directory / "users.txt").write_text(f'"{app.username}" ""\n')
    server = f"host={host} port={app.port or 5432} dbname={app.path.lstrip('/')}"
    server += f" user={app.username}" + (f" password={app.password}" if app.password else "")
    (directory / "pgbouncer.ini").write_text(
        f"[databases]\nregistry = {server}\n"
        "[pgbouncer]\nlisten_addr = 127.0.0.1\n"
        f"listen_port = {port}\nauth_type = trust\nauth_file = {directory}/users.txt\n"
        f"pool_mode = transaction\ndefault_pool_size = {pool_size}\nmax_client_conn = 100\n"
        "unix_socket_dir =\nignore_startup_parameters = extra_float_digits\n"
    )
    for path in directory.iterdir():
        path.chmod(0o644)
    # PgBouncer refuses to run as root; -u drops to an unprivileged user when we are: the
    # owner of the server's socket directory (the embedded server's is private to it).
    command = ["pgbouncer", str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:
        user = pwd.getpwuid(os.stat(host).st_uid).pw_name if host.startswith("/") else "nobody"
        command[1:1] = ["-u", user]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.1)
        yield f"postgresql://{app.username}@127.0.0.1:{port}/registry"
    finally:
        process.terminate()
        process.wait(timeout=10)


async def _hammer(engine: AsyncEngine) -> set[int]:
    """Ten sessions at once, each running several different statements: with named,
    cached prepared statements they would meet each other's on shared server
    connections ("prepared statement ... already exists / does not exist")."""

    async def session(n: int) -> int:
        total = 0
        for i in range(5):
            async with engine.begin() as conn:
                total += int(await conn.scalar(text("SELECT CAST(:v AS int) + 1"), {"v": i}))
                total += int(await conn.scalar(text("SELECT count(*) FROM control_points")) > 0)
        return total

    try:
        # Every session finishes (and returns its connection) before the first error is raised.
        results = await asyncio.gather(*(session(n) for n in range(10)), return_exceptions=True)
    finally:
        await engine.dispose()
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return {r for r in results if isinstance(r, int)}


async def test_pgbouncer_mode_works_through_transaction_pooling(
    registry_database: ServiceDatabase, tmp_path: Path
) -> None:
    with pgbouncer(registry_database, tmp_path) as url:
        settings = DatabaseSettings(database_url=url, database_pgbouncer=True)
        engine = engine_from_settings(settings, application_name="pooled", pool_size=10)
        assert await _hammer(engine) == {sum(range(1, 6)) + 5}


async def test_the_hot_paths_driver_pool_works_through_transaction_pooling(
    registry_database: ServiceDatabase, tmp_path: Path
) -> None:
    """The asyncpg pool of POST /v1/movements and history search, in the same mode: ten
    connections at once, single statements and a transaction (as a batch sends)."""
    with pgbouncer(registry_database, tmp_path) as url:
        settings = DatabaseSettings(database_url=url, database_pgbouncer=True)
        pool = driver_pool_from_settings(settings, application_name="pooled")

        async def session(n: int) -> int:
            total = 0
            for i in range(5):
                async with pool.acquire() as connection:
                    total += int(await connection.fetchval("SELECT $1::int + 1", i))
                    async with transaction(connection):
                        await connection.execute("SELECT pg_advisory_xact_lock($1)", n)
                        total += int(
                            await connection.fetchval("SELECT count(*) FROM control_points") > 0
                        )
            return total

        try:
            results = await asyncio.gather(*(session(n) for n in range(10)))
        finally:
            await pool.close()
        assert set(results) == {sum(range(1, 6)) + 5}


async def test_without_pgbouncer_mode_a_cached_statement_goes_missing(
    registry_database: ServiceDatabase, tmp_path: Path
) -> None:
    """The control: a statement cached by one client connection was prepared on one
    server connection; when PgBouncer hands that client another one, it is not there."""
    from sqlalchemy.exc import DBAPIError

    query = text("SELECT CAST(:v AS int) + 1")
    with pgbouncer(registry_database, tmp_path, pool_size=2) as url:
        settings = DatabaseSettings(
            database_url=url,
            database_statement_timeout_ms=0,
            database_idle_in_transaction_timeout_ms=0,
        )
        engine = engine_from_settings(settings, application_name="pooled", pool_size=2)
        try:
            async with engine.connect() as first, engine.connect() as second:
                await first.scalar(query, {"v": 1})  # prepared on server connection S1
                await first.commit()  # S1 goes back to PgBouncer
                await second.scalar(text("SELECT 1"))  # second now holds S1 (in a transaction)
                with pytest.raises(DBAPIError, match="prepared statement"):
                    await first.scalar(query, {"v": 2})  # on S2, where it was never prepared
        finally:
            await engine.dispose()
