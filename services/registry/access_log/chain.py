"""The access log's hash chain.

Each row is sealed when it is inserted: a trigger the service cannot skip stores
``content_sha256`` = SHA-256 of the row's canonical content (:func:`canonical`,
recomputed here independently of the database's own function). Rows are then linked
*after* they commit, by :func:`chain_pending`, in id order: link N stores row N's
content hash, the previous link's hash, and ``chain_sha256`` =
SHA-256(previous hash hex + content hash hex). The last link's hash, signed, is the
head (services/registry/access_log/signing.py).

Why afterwards: chaining at insert would make every read of personal data wait for
the one before it to commit. Instead each insert takes a *shared* advisory lock held
until it commits (the seal trigger), and the chainer takes it *exclusively* for an
instant: once it has it, every id drawn so far is final, committed or rolled back for
good. A row that shows up later below the chained tail can only have been inserted
behind the service's back. The instant is bounded by ``lock_timeout``: if a writer is
slow, this round is skipped instead of stalling the others.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

# Shared with migrations/registry/versions/2026_11_28-0005_access_log_chain.py.
WRITERS_LOCK = 7_283_917_204
CHAINER_LOCK = 7_283_917_205
GENESIS = "0" * 64
FORMAT = "access_log/v1"

# The canonical fields as text, in order, exactly as the seal trigger renders them.
CANONICAL_FIELDS = """
    a.id::text,
    to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    a.client_id::text, a.action, a.identity::text, a.person_id::text, a.purpose,
    a.reference, a.movement_count::text, a.request_id, a.on_behalf_of
"""


def canonical(fields: Sequence[str | None]) -> str:
    """``access_log/v1`` then, per field, a newline and ``<length>:<text>`` (``~`` for
    null): unambiguous whatever the fields contain."""
    parts = [FORMAT]
    parts += ["\n~" if v is None else f"\n{len(v)}:{v}" for v in fields]
    return "".join(parts)


def content_hash(fields: Sequence[str | None]) -> str:
    return hashlib.sha256(canonical(fields).encode()).hexdigest()


def link_hash(prev_sha256: str, content_sha256: str) -> str:
    return hashlib.sha256((prev_sha256 + content_sha256).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Tail:
    rows: int
    entry_id: int
    hash: str


_TAIL = text(
    "SELECT position, entry_id, chain_sha256 FROM access_log_chain ORDER BY position DESC LIMIT 1"
)
_UNCHAINED = text(
    "SELECT id, content_sha256 FROM access_log "
    "WHERE id > :after AND id <= :horizon ORDER BY id LIMIT :limit"
)
_LINK = text(
    "INSERT INTO access_log_chain (position, entry_id, content_sha256, prev_sha256, chain_sha256)"
    " SELECT * FROM unnest(CAST(:positions AS bigint[]), CAST(:entries AS bigint[]),"
    " CAST(:contents AS text[]), CAST(:prevs AS text[]), CAST(:hashes AS text[]))"
)


async def tail(session: AsyncSession) -> Tail:
    row = (await session.execute(_TAIL)).first()
    return Tail(0, 0, GENESIS) if row is None else Tail(row[0], row[1], row[2])


async def _horizon(sessionmaker: async_sessionmaker[AsyncSession], lock_timeout_ms: int) -> int:
    """The highest id every writer is done with, or 0 when a writer held us up."""
    async with sessionmaker() as session, session.begin():
        await session.execute(text(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}"))
        try:
            async with session.begin_nested():
                await session.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITERS_LOCK}
                )
        except DBAPIError:  # lock_timeout: a slow writer; the next round catches up
            return 0
        finally:
            # Only the barrier is bounded (this may be a caller's longer transaction).
            await session.execute(text("SET LOCAL lock_timeout = DEFAULT"))
        # A new statement, so a new snapshot: everything committed before the lock.
        horizon = await session.scalar(text("SELECT max(id) FROM access_log"))
    return int(horizon or 0)


async def chain_pending(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    batch_size: int = 5000,
    lock_timeout_ms: int = 200,
) -> Tail:
    """Link every final row not linked yet; return the new tail."""
    horizon = await _horizon(sessionmaker, lock_timeout_ms)
    after = 0
    while True:
        async with sessionmaker() as session, session.begin():
            # One chainer at a time (several replicas run one each).
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAINER_LOCK})
            last = await tail(session)
            after = max(after, last.entry_id)
            rows = (
                await session.execute(
                    _UNCHAINED, {"after": after, "horizon": horizon, "limit": batch_size}
                )
            ).all()
            new_tail = await _link(session, last, rows)
        if len(rows) < batch_size:
            return new_tail
        after = rows[-1][0]


async def _link(session: AsyncSession, last: Tail, rows: Sequence[tuple[int, str | None]]) -> Tail:
    positions: list[int] = []
    entries: list[int] = []
    contents: list[str] = []
    prevs: list[str] = []
    hashes: list[str] = []
    position, previous = last.rows, last.hash
    for entry_id, content in rows:
        if content is None:
            # Inserted with the seal trigger disabled: never vouched for by the chain.
            log.error("access log row %s has no seal; left out of the chain", entry_id)
            continue
        position += 1
        current = link_hash(previous, content)
        positions.append(position)
        entries.append(entry_id)
        contents.append(content)
        prevs.append(previous)
        hashes.append(current)
        previous = current
    if positions:
        await session.execute(
            _LINK,
            {
                "positions": positions,
                "entries": entries,
                "contents": contents,
                "prevs": prevs,
                "hashes": hashes,
            },
        )
    return Tail(position, last.entry_id if not positions else entries[-1], previous)
