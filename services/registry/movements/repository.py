"""Queries for movements. The write path is the database's record_movement() (one
movement) and record_movements() (a batch).

The hot statements (record, the stored movement) run on an asyncpg
connection (``shared.db.ConnectionsDep``); annulments go through the ORM session."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import Annulment
from services.registry.movements.answer import MOVEMENT_JOINS, MOVEMENT_ROW
from services.registry.movements.minors import minor_flags
from services.registry.movements.schemas import MovementIn
from shared.identity import document_key, national_key

# A batch: arrays of parameters, one element per movement, in batch order, given to
# record_movements() (migration 0009), which takes every lock of the batch and judges it
# set-based (or row by row through record_movement() for the rare involved cases). One
# statement for the whole batch, sent on the asyncpg connection itself (positional
# parameters in _COLUMN_NAMES order, then recorded_by and request_id). Per-row lists
# (flags, lock keys) travel as one text each, split there.
_RECORD_MANY = """
    SELECT r.ord, r.created, r.person_id, r.recorded_at, r.anomalies, r.content_sha256
    FROM record_movements(
        $1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[],
        $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::date[], $13::text[],
        $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[],
        $20::jsonb[], $21::text[], $22::text[], $23::text[], $24::text[], $25::text[],
        $26::uuid, $27::text
    ) AS r
"""

# One movement (POST /v1/movements: the request's only statement): the same function with
# the same parameters, as scalars. Its cached generic plan serves every call, where the
# unnest above is planned afresh each time (the arrays' lengths steer its estimates) and
# decodes 25 arrays: half of record_movement()'s database CPU (migration 0008).
_RECORD_ONE = """
    SELECT r.created, r.person_id, r.recorded_at, r.anomalies, r.content_sha256
    FROM record_movement(
        $1::uuid, $2::text, $3::timestamptz, $4::text, $5::text, $6::text, $7::text,
        $8::text, $9::text, $10::text, $11::text, $12::date, $13::text, $14::text,
        $15::text, $16::text, $17::text, $18::text, $19::text, $20::jsonb, $21::text[],
        $22::text, $23::text, $24::text[], $25::text, $26::uuid, $27::text
    ) AS r
"""

_GET = f"""
    SELECT {MOVEMENT_ROW} AS row
    FROM movements m {MOVEMENT_JOINS}
    WHERE m.movement_id = $1
"""  # noqa: S608 composed from constants only: no user input reaches the SQL text


@dataclass(frozen=True, slots=True)
class Recorded:
    created: bool
    person_id: UUID
    recorded_at: datetime
    anomalies: list[str]
    content_sha256: str


def identifiers(movement: MovementIn) -> tuple[str | None, str]:
    """(cédula key or None, document key): what the movement's person is known by."""
    t = movement.traveller
    national = national_key(t.national_id) if t.national_id else None
    return national, document_key(t.document_type, t.document_number, t.issuing_country)


def lock_keys(movement: MovementIn) -> list[str]:
    """What a writer of this movement locks: its id and each identifier. The single and
    batch paths both lock these through lock_in_order(), in one global order (a batch
    takes all of its movements' keys before it reads anything)."""
    keys = [f"movement:{movement.movement_id}"]
    keys += [f"identity:{key}" for key in identifiers(movement) if key is not None]
    return keys


def _parameters(m: MovementIn) -> dict[str, Any]:
    """record_movement()'s parameters of one movement, by name (lists as lists)."""
    t, tr = m.traveller, m.transport
    national, document = identifiers(m)
    return {
        "movement_id": m.movement_id, "direction": m.direction,
        "occurred_at": m.occurred_at, "control_point": m.control_point,
        "document_type": t.document_type, "document_number": t.document_number,
        "issuing_country": t.issuing_country, "nationality": t.nationality,
        "national_id": t.national_id, "surnames": t.surnames, "given_names": t.given_names,
        "birth_date": t.birth_date, "sex": t.sex,
        "transport_mode": tr.mode if tr else None,
        "transport_carrier": tr.carrier if tr else None,
        "transport_number": tr.number if tr else None,
        "origin_country": m.origin_country, "destination_country": m.destination_country,
        "observations": m.observations,
        "minor": json.dumps(m.minor.model_dump(mode="json")) if m.minor else None,
        "flags": minor_flags(
            direction=m.direction, occurred_at=m.occurred_at,
            birth_date=t.birth_date, minor=m.minor,
        ),
        "national_key": national, "document_key": document,
        "lock_keys": lock_keys(m), "content_sha256": m.content_sha256(),
    }  # fmt: skip


def _columns(movements: Sequence[MovementIn]) -> list[Sequence[Any]]:
    """One array per parameter, in _COLUMN_NAMES order (transposed by zip, in C)."""
    columns: list[Sequence[Any]] = list(
        zip(*map(_IN_ORDER, map(_parameters, movements)), strict=True)
    )
    for index in _LIST_INDEXES:
        columns[index] = [" ".join(keys) for keys in columns[index]]
    return columns


_COLUMN_NAMES = (
    "movement_id", "direction", "occurred_at", "control_point", "document_type",
    "document_number", "issuing_country", "nationality", "national_id", "surnames",
    "given_names", "birth_date", "sex", "transport_mode", "transport_carrier",
    "transport_number", "origin_country", "destination_country", "observations", "minor",
    "flags", "national_key", "document_key", "lock_keys", "content_sha256",
)  # fmt: skip
_IN_ORDER = itemgetter(*_COLUMN_NAMES)
# text[] for one movement, one text each in a batch
_LIST_INDEXES = (_COLUMN_NAMES.index("flags"), _COLUMN_NAMES.index("lock_keys"))


async def record(
    connection: asyncpg.Connection,
    movements: Sequence[MovementIn],
    *,
    recorded_by: UUID,
    request_id: str | None,
) -> list[Recorded]:
    if not movements:
        return []
    if len(movements) == 1:
        one = _parameters(movements[0])
        rows = await connection.fetch(
            _RECORD_ONE, *(one[name] for name in _COLUMN_NAMES), recorded_by, request_id
        )
    else:
        rows = await connection.fetch(_RECORD_MANY, *_columns(movements), recorded_by, request_id)
    return [
        Recorded(
            created=r["created"],
            person_id=r["person_id"],
            recorded_at=r["recorded_at"],
            anomalies=list(r["anomalies"]),
            content_sha256=r["content_sha256"],
        )
        for r in rows
    ]


async def get(connection: asyncpg.Connection, movement_id: UUID) -> dict[str, Any] | None:
    """The movement's flat answer row (see answer.py), its person resolved to the
    surviving one and its consecutive-direction anomalies as history stands now."""
    row = await connection.fetchval(_GET, movement_id)
    return (json.loads(row) if isinstance(row, str) else row) if row is not None else None


async def annul(
    session: AsyncSession,
    movement_id: UUID,
    *,
    reason: str,
    reference: str | None,
    annulled_by: UUID,
) -> bool:
    """False when the movement was already annulled."""
    statement = (
        insert(Annulment)
        .values(
            movement_id=movement_id, reason=reason, reference=reference,
            annulled_by=annulled_by,
        )
        .on_conflict_do_nothing(index_elements=[Annulment.movement_id])
        .returning(Annulment.movement_id)
    )  # fmt: skip
    return (await session.scalar(statement)) is not None
