"""One statement per summary: the person, their counted crossings in order, the last
movement's answer row, and the access-log row."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.history.repository import PERSON_CTES, TARGET_BY_IDENTIFIER
from services.registry.movements.answer import MOVEMENT_JOINS, MOVEMENT_ROW
from services.registry.stays.counting import Direction
from shared.request_id import current_request_id

# Composed from constants only: no user input reaches the SQL text.
_SUMMARY = text(
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
    ),
    logged AS (
        INSERT INTO access_log (client_id, action, identity, person_id, purpose, reference,
                                movement_count, request_id, on_behalf_of)
        SELECT :client_id, 'STAYS_SUMMARY', CAST(:identity AS jsonb), (SELECT id FROM target),
               :purpose, :reference, (SELECT count(*) FROM counted), :request_id,
               :on_behalf_of
        RETURNING id
    )
    SELECT (SELECT row_to_json(person) FROM person) AS person,
           (SELECT array_agg(direction ORDER BY occurred_at, movement_id) FROM counted)
               AS directions,
           (SELECT array_agg(occurred_at ORDER BY occurred_at, movement_id) FROM counted)
               AS moments,
           (SELECT {MOVEMENT_ROW}
            FROM latest l JOIN movements m ON m.movement_id = l.movement_id {MOVEMENT_JOINS}
           ) AS last_movement,
           (SELECT id FROM logged) AS access_log_id
    """  # noqa: S608
)


@dataclass(frozen=True, slots=True)
class SummaryRows:
    person: dict[str, Any] | None
    crossings: list[tuple[Direction, datetime]]
    last_movement: dict[str, Any] | None


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def summary_rows(
    session: AsyncSession,
    *,
    identifier: str,
    until_ts: datetime,
    client_id: UUID,
    identity: dict[str, Any],
    purpose: str,
    reference: str,
    on_behalf_of: str | None = None,
) -> SummaryRows:
    row = (
        await session.execute(
            _SUMMARY,
            {
                "identifier": identifier, "until_ts": until_ts, "client_id": client_id,
                "identity": json.dumps(identity), "purpose": purpose, "reference": reference,
                "request_id": current_request_id(), "on_behalf_of": on_behalf_of,
            },
        )
    ).one()  # fmt: skip
    return SummaryRows(
        person=_json(row.person),
        crossings=cast(
            list[tuple[Direction, datetime]],
            list(zip(row.directions or [], row.moments or [], strict=True)),
        ),
        last_movement=_json(row.last_movement),
    )
