"""Fixtures: a real PostgreSQL, migrated once per session with Alembic.

Each test runs inside an outer transaction that is rolled back, so append-only
tables stay clean between tests. Tests that need real concurrency (separate
connections) use the ``*_committing`` fixtures and unique data instead.
"""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Iterator

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from services.registry.app import create_app as create_registry_app
from services.registry.clients.service import create_client
from services.registry.control_points.catalog import CONTROL_POINTS
from services.registry.settings import RegistrySettings
from shared.db import make_engine
from shared.devdb import ServiceDatabase
from shared.settings import Environment
from tests.support.postgres import postgres_server, service_database


def pytest_configure(config: pytest.Config) -> None:
    """SIGTERM and SIGHUP (a CI timeout, `kill`, a closed terminal) end the run as Ctrl-C
    does: fixtures tear down, so servers the tests started are stopped, scratch databases
    dropped and the embedded PostgreSQL stopped, instead of all of it left running.
    (Python's default for SIGTERM is to vanish without running any of that.)"""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def registry_database(pg_server: str) -> Iterator[ServiceDatabase]:
    with service_database(pg_server, "registry") as database:
        yield database


@pytest.fixture(scope="session")
def registry_db_url(registry_database: ServiceDatabase) -> str:
    """What the registry connects as: its own role, which owns nothing."""
    return registry_database.app_url


@pytest.fixture(scope="session")
def registry_owner_url(registry_database: ServiceDatabase) -> str:
    """The schema owner (the server's superuser here): for tampering on purpose."""
    return registry_database.owner_url


@pytest.fixture
def registry_settings(registry_db_url: str) -> RegistrySettings:
    return RegistrySettings(database_url=registry_db_url, environment=Environment.TEST)


@pytest.fixture
async def registry_engine(registry_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(registry_db_url, pool_size=5, application_name="registry-tests")
    yield engine
    await engine.dispose()


@pytest.fixture
async def registry_connection(registry_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with registry_engine.connect() as connection:
        transaction = await connection.begin()
        yield connection
        await transaction.rollback()


@pytest.fixture
async def registry_session(registry_connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """A session inside the test's outer transaction (for create_* helpers and asserts)."""
    maker = async_sessionmaker(
        bind=registry_connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    async with maker() as session:
        yield session


async def _client_for(app, engine: AsyncEngine) -> AsyncClient:  # type: ignore[no-untyped-def]
    app.state.engine = engine
    async with app.state.sessionmaker() as session:
        CONTROL_POINTS.invalidate()
        await CONTROL_POINTS.refresh_if_stale(session)
    return AsyncClient(transport=ASGITransport(app=app), base_url="http://registry.test")


@pytest.fixture
async def registry(
    registry_settings: RegistrySettings,
    registry_engine: AsyncEngine,
    registry_connection: AsyncConnection,
) -> AsyncIterator[AsyncClient]:
    """The registry app, every request's session joined to the test's rolled-back transaction."""
    app = create_registry_app(registry_settings)
    app.state.sessionmaker = async_sessionmaker(
        bind=registry_connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    async with await _client_for(app, registry_engine) as client:
        yield client


@pytest.fixture
async def registry_committing(
    registry_settings: RegistrySettings, registry_engine: AsyncEngine
) -> AsyncIterator[AsyncClient]:
    """The registry app on a real pool: requests commit and run concurrently."""
    app = create_registry_app(registry_settings)
    app.state.sessionmaker = async_sessionmaker(registry_engine, expire_on_commit=False)
    async with await _client_for(app, registry_engine) as client:
        yield client


class Tokens:
    """Bearer headers for clients with the usual scopes."""

    def __init__(self, **headers: dict[str, str]) -> None:
        self.__dict__.update(headers)

    terminal: dict[str, str]
    reader: dict[str, str]
    supervisor: dict[str, str]
    nobody: dict[str, str]


async def _tokens(session: AsyncSession) -> Tokens:
    async def bearer(name: str, scopes: str) -> dict[str, str]:
        created = await create_client(session, name=name, scopes=scopes)
        return {"Authorization": f"Bearer {created.token}"}

    tokens = Tokens(
        terminal=await bearer("Terminal Rumichaca 1", "movements:write"),
        reader=await bearer("Emisor de certificados", "history:read"),
        supervisor=await bearer("Supervisor", "movements:correct"),
        nobody=await bearer("Admin only", "admin"),
    )
    await session.commit()
    return tokens


@pytest.fixture
async def tokens(registry_session: AsyncSession) -> Tokens:
    return await _tokens(registry_session)


@pytest.fixture
async def committed_tokens(registry_engine: AsyncEngine) -> Tokens:
    """Tokens that other connections (concurrent requests, real servers) can see."""
    async with async_sessionmaker(registry_engine, expire_on_commit=False)() as session:
        return await _tokens(session)
