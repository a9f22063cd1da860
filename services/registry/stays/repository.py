"""One read-only statement per summary: the person, their counted crossings in order, the
last movement's answer row (its access-log row is written by
services/registry/access_log/writer.py before the summary is sent)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID

import asyncpg

from services.registry.history.repository import PERSON_CTES, TARGET_BY_IDENTIFIER
from services.registry.movements.answer import MOVEMENT_JOINS, MOVEMENT_ROW
from services.registry.stays.counting import Direction
from shared.db import positional

# Composed from constants only: no user input reaches the SQL text.
_SUMMARY, _SUMMARY_PARAMETERS = positional(
    f"""
    WITH {TARGET_BY_IDENTIFIER}, {PERSON_CTES},
    counted AS (
        SELECT m.movement_id, m.direction, m.occurred_at
        FROM movements m
        WHERE m.person_id IN (SELECT id FROM members) AND m.occurred_at < :until_ts
          AND NOT EXISTS (SELECT 1 FROM annulments x WHERE x.movement_id = m.movement_id)
    ),
    latest AS (
        SELECT movement_id FROM counted
        ORDER BY occurred_at DESC, movement_id DESC LIMIT 1
    )
    SELECT (SELECT row_to_json(person) FROM person) AS person,
           (SELECT array_agg(direction ORDER BY occurred_at, movement_id) FROM counted)
               AS directions,
           (SELECT array_agg(occurred_at ORDER BY occurred_at, movement_id) FROM counted)
               AS moments,
           (SELECT {MOVEMENT_ROW}
            FROM latest l JOIN movements m ON m.movement_id = l.movement_id {MOVEMENT_JOINS}
           ) AS last_movement,
           (SELECT id FROM target) AS person_id,
           (SELECT count(*) FROM counted) AS counted
    """  # noqa: S608
)


@dataclass(frozen=True, slots=True)
class SummaryRows:
    person: dict[str, Any] | None
    crossings: list[tuple[Direction, datetime]]
    last_movement: dict[str, Any] | None
    person_id: UUID | None  # the canonical person, for the access log
    counted: int  # crossings counted


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def summary_rows(
    connection: asyncpg.Connection, *, identifier: str, until_ts: datetime
) -> SummaryRows:
    parameters = {"identifier": identifier, "until_ts": until_ts}
    row = await connection.fetchrow(_SUMMARY, *(parameters[n] for n in _SUMMARY_PARAMETERS))
    assert row is not None  # an aggregate over the CTEs: always one row
    return SummaryRows(
        person=_json(row["person"]),
        crossings=cast(
            list[tuple[Direction, datetime]],
            list(zip(row["directions"] or [], row["moments"] or [], strict=True)),
        ),
        last_movement=_json(row["last_movement"]),
        person_id=row["person_id"],
        counted=row["counted"],
    )
