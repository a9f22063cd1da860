"""Engine, sessions and the per-request unit of work.

The request is the unit of work: the session dependency commits when the
endpoint returns and rolls back when it raises. Services and repositories only
``flush()``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
import weakref
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any, Protocol

import asyncpg
import sqlalchemy.exc
from fastapi import Depends, Request
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared.settings import DatabaseSettings, asyncpg_url

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def naming_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def _connect_args(
    *,
    application_name: str,
    pgbouncer: bool,
    statement_cache_size: int,
    statement_timeout_ms: int,
    idle_in_transaction_timeout_ms: int,
    connect_timeout_seconds: float,
    role: str,
) -> dict[str, Any]:
    """asyncpg's connect() arguments, the same for the engine and the driver pool (asyncpg
    itself sends unnamed statements when its cache is off)."""
    server_settings = {"application_name": application_name}
    connect_args: dict[str, Any] = {"timeout": connect_timeout_seconds}
    if pgbouncer:
        # A transaction-mode pooler hands each transaction to any server connection, where
        # asyncpg's named prepared statements would not exist: use unnamed, uncached ones.
        # It also refuses startup parameters it does not track (statement_timeout, role):
        # those belong on the role (ALTER ROLE ... SET), see docs/security.md.
        connect_args["statement_cache_size"] = 0
    else:
        connect_args["statement_cache_size"] = statement_cache_size
        if statement_timeout_ms:
            server_settings["statement_timeout"] = str(statement_timeout_ms)
        if idle_in_transaction_timeout_ms:
            server_settings["idle_in_transaction_session_timeout"] = str(
                idle_in_transaction_timeout_ms
            )
        if role:
            server_settings["role"] = role
    connect_args["server_settings"] = server_settings
    return connect_args


def make_engine(
    url: str,
    *,
    application_name: str,
    pool_size: int = 10,
    max_overflow: int | None = None,
    pgbouncer: bool = False,
    statement_cache_size: int = 100,
    statement_timeout_ms: int = 0,
    idle_in_transaction_timeout_ms: int = 0,
    connect_timeout_seconds: float = 10.0,
    role: str = "",
    pre_ping: bool = False,
) -> AsyncEngine:
    """The one place an engine is built; apps, CLIs and workers reach it through
    :func:`engine_from_settings`, tests and tools may call it directly."""
    connect_args = _connect_args(
        application_name=application_name,
        pgbouncer=pgbouncer,
        statement_cache_size=statement_cache_size,
        statement_timeout_ms=statement_timeout_ms,
        idle_in_transaction_timeout_ms=idle_in_transaction_timeout_ms,
        connect_timeout_seconds=connect_timeout_seconds,
        role=role,
    )
    if pgbouncer:
        # SQLAlchemy's adapter keeps its own cache of named statements: off, and unique names.
        connect_args |= {
            "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": lambda: f"__asyncpg_{uuid.uuid4()}__",
        }
    return create_async_engine(
        asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        pool_pre_ping=pre_ping,
        # Bound parameters carry cédulas and passport numbers: keep them out of
        # exception texts, which end up in logs.
        hide_parameters=True,
        connect_args=connect_args,
    )


def engine_from_settings(
    settings: DatabaseSettings,
    *,
    application_name: str,
    url: str | None = None,
    pool_size: int | None = None,
) -> AsyncEngine:
    """An engine with every database setting honoured (pool, statement cache, PgBouncer
    mode, timeouts, role). ``url`` overrides the configured one (e.g. a CLI that resolved
    the embedded development database); ``pool_size`` shrinks the pool of one-shot tools."""
    return make_engine(
        url or settings.database_url,
        application_name=application_name,
        pool_size=pool_size or settings.database_pool_size,
        max_overflow=0 if pool_size else settings.database_max_overflow,
        pgbouncer=settings.database_pgbouncer,
        statement_cache_size=settings.database_statement_cache_size,
        statement_timeout_ms=settings.database_statement_timeout_ms,
        idle_in_transaction_timeout_ms=settings.database_idle_in_transaction_timeout_ms,
        connect_timeout_seconds=settings.database_connect_timeout_seconds,
        role=settings.database_role,
        pre_ping=settings.database_pool_pre_ping,
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


# scope="function": commit when the endpoint returns, *before* the response is sent. With
# FastAPI's default ("request") the commit runs after the client has its 201, so a failed
# commit would lose a movement the terminal was told is stored.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under ``session``, for a hot path whose one statement gains
    nothing from the ORM. Nothing is sent to get it: SQLAlchemy's asyncpg adapter opens its
    transaction on the first statement *it* runs, so a statement sent here alone runs in
    PostgreSQL's implicit single-statement transaction (no BEGIN/COMMIT round trips), and
    inside the session's transaction once the session has run one (tests, batches)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    return driver


class Connections(Protocol):
    """Where a hot path gets an asyncpg connection for its one or two statements."""

    def acquire(self) -> AbstractAsyncContextManager[asyncpg.Connection]: ...


async def _keep_session(connection: asyncpg.Connection) -> None:
    """The driver pool's reset on release. asyncpg already rolls back a transaction left
    open; its default reset would also send ``RESET ALL; UNLISTEN *; ...``, a round trip
    per request for state the hot paths never set (no SET, LISTEN or session locks)."""


class DriverPool:
    """A plain asyncpg pool for the hot paths: the engine's connect arguments,
    ``database_pool_size`` connections opened on demand (a database that is down when the
    service starts is not an error here, as with the engine), no reset round trip.

    asyncpg pools belong to the event loop that made them. A service has one loop; a test
    harness that drives one app from several loops gets a pool per loop."""

    def __init__(self, url: str, *, max_size: int, connect_args: dict[str, Any]) -> None:
        self._url = url
        self._max_size = max_size
        self._connect_args = connect_args
        self._pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncpg.Pool] = (
            weakref.WeakKeyDictionary()
        )

    async def _pool(self) -> asyncpg.Pool:
        loop = asyncio.get_running_loop()
        if (pool := self._pools.get(loop)) is None:
            pool = await asyncpg.create_pool(
                self._url, min_size=0, max_size=self._max_size, reset=_keep_session,
                **self._connect_args,
            )  # fmt: skip
            self._pools[loop] = pool
        return pool

    def acquire(self) -> AbstractAsyncContextManager[asyncpg.Connection]:
        if (pool := self._pools.get(asyncio.get_running_loop())) is not None:
            return pool.acquire()  # type: ignore[no-any-return]  # asyncpg is unannotated
        return self._first_acquire()

    @asynccontextmanager
    async def _first_acquire(self) -> AsyncIterator[asyncpg.Connection]:
        pool = await self._pool()
        async with pool.acquire() as connection:
            yield connection

    async def close(self, *, grace_seconds: float = 5.0) -> None:
        """Close gracefully what this loop's requests have released; after
        ``grace_seconds``, or for another loop's pool, cut the connections: a shutdown
        never waits on a request that will not finish."""
        loop = asyncio.get_running_loop()
        pools, self._pools = list(self._pools.items()), weakref.WeakKeyDictionary()
        for owner, pool in pools:
            if owner is loop:
                try:
                    await asyncio.wait_for(pool.close(), grace_seconds)
                except TimeoutError:
                    log.warning("driver pool still in use after %s s at shutdown", grace_seconds)
                    pool.terminate()
            else:
                pool.terminate()


def driver_pool_from_settings(settings: DatabaseSettings, *, application_name: str) -> DriverPool:
    return DriverPool(
        asyncpg_url(settings.database_url).replace("postgresql+asyncpg://", "postgresql://", 1),
        max_size=settings.database_pool_size,
        connect_args=_connect_args(
            application_name=application_name,
            pgbouncer=settings.database_pgbouncer,
            statement_cache_size=settings.database_statement_cache_size,
            statement_timeout_ms=settings.database_statement_timeout_ms,
            idle_in_transaction_timeout_ms=settings.database_idle_in_transaction_timeout_ms,
            connect_timeout_seconds=settings.database_connect_timeout_seconds,
            role=settings.database_role,
        ),
    )


class SessionConnections:
    """Hot-path connections taken through a sessionmaker, one session per acquire: the
    session's transaction is the statement's (tests bind the sessionmaker to one
    rolled-back transaction, and each acquire becomes a savepoint of it)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._sessionmaker() as session:
            try:
                yield await driver_connection(session)
            except BaseException:
                await session.rollback()
                raise
            else:
                await session.commit()


async def get_connections(request: Request) -> Connections:
    """The app's driver pool (made by the lifespan), else its sessionmaker's connections."""
    state = request.app.state
    pool: Connections | None = getattr(state, "driver_pool", None)
    return pool if pool is not None else SessionConnections(state.sessionmaker)


# For hot paths whose statements gain nothing from the ORM: POST /v1/movements, batches,
# history search. ``async with connections.acquire() as connection`` runs each statement
# in PostgreSQL's implicit transaction; wrap several in :func:`transaction`.
ConnectionsDep = Annotated[Connections, Depends(get_connections)]


@asynccontextmanager
async def transaction(connection: asyncpg.Connection) -> AsyncIterator[None]:
    """A transaction on ``connection``, or the one already open on it (a test's)."""
    if connection.is_in_transaction():
        yield
        return
    async with connection.transaction():
        yield


_CONNECTION_LOST = (
    ConnectionError,
    TimeoutError,
    OSError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.OperatorInterventionError,  # admin or crash shutdown
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InterfaceError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection came free in time
)


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means "the database cannot be reached", not "this request is wrong".

    Walks the chain of causes: SQLAlchemy wraps the driver's error, which may wrap the
    socket's.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _CONNECTION_LOST):
            return True
        if isinstance(current, sqlalchemy.exc.DBAPIError) and current.connection_invalidated:
            return True
        orig = getattr(current, "orig", None)
        current = (
            orig if isinstance(orig, BaseException) else (current.__cause__ or current.__context__)
        )
    return False


async def database_reachable(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # readiness only reports; the cause is in the server log
        return False
    return True


_NAMED = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


def positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """``sql`` with its ``:name`` parameters as asyncpg's ``$n`` (one per distinct name,
    numbered in order of first use) and the names in that order, so a statement written
    for SQLAlchemy's ``text()`` can also run on the asyncpg connection."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    return _NAMED.sub(number, sql), tuple(names)
