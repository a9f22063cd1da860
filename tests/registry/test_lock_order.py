"""The single and batch write paths take the same locks in the same order.

Observed, not assumed: another transaction holds the *middle* key of a movement; the
writer under test must then hold exactly the keys before it and wait on it, whichever
path it came through. A path taking keys in another order would hold a later key, and
two such writers could deadlock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from uuid import UUID

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.registry.clients.service import create_client
from services.registry.control_points.catalog import CONTROL_POINTS
from services.registry.movements import repository
from services.registry.movements.repository import lock_keys
from services.registry.movements.schemas import MovementIn
from shared.db import driver_connection
from tests.support.factories import a_cedula, movement

_LOCKS_OF = text(
    """
    SELECT k, l.granted FROM unnest(CAST(:keys AS text[])) AS k
    JOIN pg_locks l ON l.locktype = 'advisory' AND l.pid = :pid
     AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended(k, 0)
    """
)

Writer = Callable[[asyncpg.Connection, MovementIn, UUID], Awaitable[object]]


async def _single(connection: asyncpg.Connection, m: MovementIn, client: UUID) -> object:
    return await repository.record(connection, [m], recorded_by=client, request_id=None)


async def _batch(connection: asyncpg.Connection, m: MovementIn, client: UUID) -> object:
    # Two movements: a batch of one is sent as one movement. The other traveller's keys
    # are not observed; m's must still be taken in order, before anything is recorded.
    other = MovementIn.model_validate(
        movement(traveller={"national_id": a_cedula(9302), "document_number": "LK9302"})
    )
    return await repository.record(connection, [m, other], recorded_by=client, request_id=None)


@pytest.mark.parametrize("write", [_single, _batch], ids=["single", "batch"])
async def test_writers_lock_in_one_global_order(
    registry_engine: AsyncEngine, write: Writer
) -> None:
    maker = async_sessionmaker(registry_engine, expire_on_commit=False)
    async with maker() as session:
        client = (
            await create_client(session, name="Lock order", scopes="movements:write")
        ).client_id
        await session.commit()
        CONTROL_POINTS.invalidate()
        await CONTROL_POINTS.refresh_if_stale(session)
    m = MovementIn.model_validate(
        movement(traveller={"national_id": a_cedula(9301), "document_number": "LK9301"})
    )
    keys = sorted(lock_keys(m), key=lambda k: k.encode())
    assert len(keys) == 3  # cédula, document, movement id
    first, middle, _last = keys

    async with maker() as blocker, maker() as writer:
        await blocker.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": middle}
        )
        pid = await writer.scalar(text("SELECT pg_backend_pid()"))
        task = asyncio.create_task(write(await driver_connection(writer), m, client))
        try:
            locks = await _when_waiting(blocker, keys, pid)
            assert locks == {first: True, middle: False}, locks  # `last` not taken yet
        finally:
            await blocker.rollback()
            await task
            await writer.rollback()


async def _when_waiting(observer: AsyncSession, keys: list[str], pid: int) -> dict[str, bool]:
    """The writer's advisory locks once it waits on one (polled: waiting is the event)."""
    for _ in range(500):
        rows = (await observer.execute(_LOCKS_OF, {"keys": keys, "pid": pid})).all()
        locks = {row.k: row.granted for row in rows}
        if False in locks.values():
            return locks
        await asyncio.sleep(0.02)
    raise AssertionError("the writer never waited on the held key")
