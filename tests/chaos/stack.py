"""Both services as separate processes on a scratch PostgreSQL cluster, with the tokens a
terminal and an authority need, and direct SQL to count what was really stored."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from services.issuer.authorities.service import create_authority
from services.issuer.signing import create_development_pki
from services.registry.clients.service import create_client
from shared import migrate
from shared.db import make_engine, make_sessionmaker
from shared.devdb import with_database
from tests.chaos.postgres import ScratchCluster, scratch_cluster
from tests.chaos.processes import Service


@dataclass
class Stack:
    cluster: ScratchCluster
    registry: Service
    issuer: Service
    registry_db: str
    issuer_db: str
    terminal_token: str
    authority_token: str
    log_dir: Path

    async def fetch(self, database: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(database)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    def stop_all(self) -> None:
        for service in (self.issuer, self.registry):
            service.stop()


async def _registry_token(url: str, name: str, scopes: str) -> str:
    engine = make_engine(url, pool_size=1, application_name="chaos")
    async with make_sessionmaker(engine)() as session, session.begin():
        created = await create_client(session, name=name, scopes=scopes)
    await engine.dispose()
    return created.token


async def _authority_token(url: str) -> str:
    engine = make_engine(url, pool_size=1, application_name="chaos")
    async with make_sessionmaker(engine)() as session, session.begin():
        created = await create_authority(session, name="Fiscalía (chaos)", kind="PROSECUTOR_OFFICE")
    await engine.dispose()
    return created.token


async def _create_databases(cluster: ScratchCluster) -> None:
    conn = await asyncpg.connect(cluster.url)
    try:
        for name in ("registry", "issuer"):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


@contextlib.contextmanager
def chaos_stack(
    *, registry_timeout_seconds: float = 5.0, log_dir: Path | None = None
) -> Iterator[Stack]:
    """Cluster, migrations, tokens, keys; the services are made but not started. The
    services' logs go to ``log_dir`` (kept) or to a temporary directory."""
    with scratch_cluster() as cluster, tempfile.TemporaryDirectory(prefix="chaos-") as tmp:
        work = Path(tmp)
        logs = log_dir or work
        logs.mkdir(parents=True, exist_ok=True)
        asyncio.run(_create_databases(cluster))
        registry_db = with_database(cluster.url, "registry")
        issuer_db = with_database(cluster.url, "issuer")
        migrate.upgrade("registry", registry_db)
        migrate.upgrade("issuer", issuer_db)
        terminal = asyncio.run(_registry_token(registry_db, "Terminal (chaos)", "movements:write"))
        reader = asyncio.run(_registry_token(registry_db, "Emisor (chaos)", "history:read"))
        authority = asyncio.run(_authority_token(issuer_db))
        pki = create_development_pki(work / "keys")
        registry = Service(
            "registry",
            "services.registry.app:main_app",
            {"REGISTRY_DATABASE_URL": registry_db, "REGISTRY_LOG_LEVEL": "WARNING"},
            logs,
        )
        issuer = Service(
            "issuer",
            "services.issuer.app:main_app",
            {
                "ISSUER_DATABASE_URL": issuer_db,
                "ISSUER_LOG_LEVEL": "WARNING",
                "ISSUER_REGISTRY_URL": registry.url,
                "ISSUER_REGISTRY_TOKEN": reader,
                "ISSUER_REGISTRY_TIMEOUT_SECONDS": str(registry_timeout_seconds),
                "ISSUER_PENDING_POLL_SECONDS": "0.5",
                "ISSUER_SIGNING_P12_PATH": str(pki.signer_p12),
                "ISSUER_SIGNING_P12_PASSWORD": pki.passphrase.decode(),
                "ISSUER_CA_CERTIFICATE_PATH": str(pki.ca_cert),
                "ISSUER_SEAL_KEY_PATH": str(pki.seal_key),
            },
            logs,
        )
        stack = Stack(
            cluster=cluster,
            registry=registry,
            issuer=issuer,
            registry_db=registry_db,
            issuer_db=issuer_db,
            terminal_token=terminal,
            authority_token=authority,
            log_dir=logs,
        )
        try:
            yield stack
        finally:
            stack.stop_all()
