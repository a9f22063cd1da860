"""Engine, sessions and the per-request unit of work.

The request is the unit of work: the session dependency commits when the
endpoint returns and rolls back when it raises. Services and repositories only
``flush()``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

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

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def naming_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


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
    server_settings = {"application_name": application_name}
    connect_args: dict[str, object] = {"timeout": connect_timeout_seconds}
    if pgbouncer:
        # A transaction-mode pooler hands each transaction to any server connection, where
        # asyncpg's named prepared statements would not exist: use unnamed, uncached ones.
        # It also refuses startup parameters it does not track (statement_timeout, role):
        # those belong on the role (ALTER ROLE ... SET), see docs/security.md.
        connect_args |= {
            "statement_cache_size": 0,
            "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": lambda: f"__asyncpg_{uuid.uuid4()}__",
        }
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
