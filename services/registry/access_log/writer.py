"""Access-log rows of concurrent reads, inserted and committed together (group commit).

A history search reads in a read-only statement, then waits here until its access-log
row is committed, and only then answers: no personal data leaves without its row, as
when the row was inserted by the read's own statement. What changes is the cost. Each
read used to be a write transaction of its own (a WAL flush per request); here the rows
that arrive while one insert is in flight go together in the next one, so under load
one commit serves many reads, and a lone read is written at once (nothing waits on a
timer). Measured with wrk, 32 connections, 50-movement pages: the access-log write was
0.52 of the 1.40 ms of PostgreSQL CPU per search (docs/performance.md).

The rows are the ones services/registry/audit.py writes (the seal trigger gives each its
id, time and content hash; the chain links them later). A batch that fails for a reason
other than a lost database is retried row by row, so one bad row never costs the others
their answer; a lost database fails every waiter, whose request then fails: its data is
never sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from prometheus_client import Histogram

from shared.db import Connections, is_database_unavailable
from shared.identity import IdentityQuery
from shared.request_id import current_request_id

log = logging.getLogger(__name__)

BATCH_ROWS = Histogram(
    "registry_access_log_batch_rows",
    "Access-log rows committed together by one group commit.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)

# A bound on one statement; what arrives meanwhile waits for the next.
MAX_BATCH = 512

# Every column as text[]: asyncpg decodes text[] without asking the server about the type
# (a uuid[] or integer[] costs a catalog round trip on each new connection).
_INSERT = """
    INSERT INTO access_log (client_id, action, identity, person_id, purpose, reference,
                            movement_count, request_id, on_behalf_of)
    SELECT client_id::uuid, action, identity::jsonb, person_id::uuid, purpose, reference,
           movement_count::integer, request_id, on_behalf_of
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::text[], $8::text[], $9::text[])
         AS t(client_id, action, identity, person_id, purpose, reference, movement_count,
              request_id, on_behalf_of)
"""


@dataclass(frozen=True, slots=True)
class Entry:
    """One read of personal data: the columns of an access_log row the service sets."""

    client_id: UUID
    action: str
    identity: dict[str, Any] | None
    person_id: UUID | None
    purpose: str | None
    reference: str | None
    movement_count: int
    request_id: str | None
    on_behalf_of: str | None = None


@dataclass
class _Queue:
    pending: list[tuple[Entry, asyncio.Future[None]]] = field(default_factory=list)
    flusher: asyncio.Task[None] | None = None


# Per database (the app's driver pool) and per event loop, like the pool's connections.
_queues: weakref.WeakKeyDictionary[
    Connections, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue]
] = weakref.WeakKeyDictionary()


class PersonRead(Protocol):
    """What a search for a person's data says about itself (history, stays)."""

    @property
    def identity(self) -> IdentityQuery: ...
    @property
    def purpose(self) -> str: ...
    @property
    def reference(self) -> str: ...
    @property
    def on_behalf_of(self) -> str | None: ...


async def log_read(
    connections: Connections, query: PersonRead, *, action: str, client_id: UUID,
    person_id: UUID | None, movement_count: int,
) -> None:  # fmt: skip
    """Write the access-log row of ``query``'s read; return once it is committed. Call it
    before the data is sent: no personal data leaves without its row."""
    await append(
        connections,
        Entry(
            client_id=client_id,
            action=action,
            # The audit trail keeps what was asked for; it is the one place it must be.
            identity=query.identity.model_dump(exclude_none=True),
            person_id=person_id,
            purpose=query.purpose,
            reference=query.reference,
            movement_count=movement_count,
            request_id=current_request_id(),
            on_behalf_of=query.on_behalf_of,
        ),
    )


async def append(connections: Connections, entry: Entry) -> None:
    """Return once ``entry`` is committed; raise if it could not be."""
    loop = asyncio.get_running_loop()
    queue = _queues.setdefault(connections, weakref.WeakKeyDictionary()).setdefault(loop, _Queue())
    done: asyncio.Future[None] = loop.create_future()
    queue.pending.append((entry, done))
    if queue.flusher is None or queue.flusher.done():
        queue.flusher = loop.create_task(_flush(connections, queue))
    await done


async def _flush(connections: Connections, queue: _Queue) -> None:
    while queue.pending:
        batch, queue.pending = queue.pending[:MAX_BATCH], queue.pending[MAX_BATCH:]
        try:
            await _insert(connections, [entry for entry, _ in batch])
        except Exception as exc:
            if len(batch) > 1 and not is_database_unavailable(exc):
                log.warning("access-log batch of %d failed (%s); row by row", len(batch), exc)
                for entry, done in batch:
                    await _insert_one(connections, entry, done)
                continue
            for _, done in batch:
                _settle(done, exc)
        else:
            BATCH_ROWS.observe(len(batch))
            for _, done in batch:
                _settle(done, None)


async def _insert_one(connections: Connections, entry: Entry, done: asyncio.Future[None]) -> None:
    try:
        await _insert(connections, [entry])
    except Exception as exc:
        _settle(done, exc)
    else:
        BATCH_ROWS.observe(1)
        _settle(done, None)


async def _insert(connections: Connections, entries: list[Entry]) -> None:
    async with connections.acquire() as connection:
        await connection.execute(
            _INSERT,
            [str(e.client_id) for e in entries],
            [e.action for e in entries],
            [None if e.identity is None else json.dumps(e.identity) for e in entries],
            [None if e.person_id is None else str(e.person_id) for e in entries],
            [e.purpose for e in entries],
            [e.reference for e in entries],
            [str(e.movement_count) for e in entries],
            [e.request_id for e in entries],
            [e.on_behalf_of for e in entries],
        )


def _settle(done: asyncio.Future[None], error: Exception | None) -> None:
    # A waiter whose request was cancelled (the client left) has no one to tell; its row
    # is written all the same.
    if done.done():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)
