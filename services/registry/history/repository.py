"""History queries: one statement per page, the access-log row included."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.request_id import current_request_id

# The person is the canonical one of whoever holds the identifier; its movements are
# those of every person merged into it. Names and birth data come from the most recent
# movement, so a person row never needs updating.
_PERSON_CTES = """
    target AS (
        SELECT p.canonical_id AS id
        FROM person_identifiers i JOIN persons p ON p.id = i.person_id
        WHERE i.identifier = :identifier
    ),
    members AS (
        SELECT p.id FROM persons p WHERE p.canonical_id = (SELECT id FROM target)
    ),
    person AS (
        SELECT (SELECT id FROM target) AS person_id, m.surnames, m.given_names, m.birth_date,
               m.sex, m.nationality,
               (SELECT i.national_id FROM person_identifiers i
                WHERE i.person_id IN (SELECT id FROM members) AND i.national_id IS NOT NULL
                ORDER BY i.first_seen_at LIMIT 1) AS national_id,
               (SELECT coalesce(json_agg(json_build_object(
                            'document_type', i.document_type,
                            'document_number', i.document_number,
                            'issuing_country', i.issuing_country) ORDER BY i.first_seen_at), '[]')
                FROM person_identifiers i
                WHERE i.person_id IN (SELECT id FROM members) AND i.document_number IS NOT NULL
               ) AS documents
        FROM movements m
        WHERE m.person_id IN (SELECT id FROM members)
        ORDER BY m.occurred_at DESC, m.movement_id DESC
        LIMIT 1
    )
"""

_MOVEMENT_JSON = """
    json_build_object(
        'movement_id', m.movement_id, 'person_id', (SELECT id FROM target),
        'direction', m.direction, 'occurred_at', m.occurred_at,
        'control_point', m.control_point,
        'traveller', json_build_object(
            'document_type', m.document_type, 'document_number', m.document_number,
            'issuing_country', m.issuing_country, 'nationality', m.nationality,
            'national_id', m.national_id, 'surnames', m.surnames,
            'given_names', m.given_names, 'birth_date', m.birth_date, 'sex', m.sex),
        'transport', CASE WHEN m.transport_mode IS NULL THEN NULL ELSE json_build_object(
            'mode', m.transport_mode, 'carrier', m.transport_carrier,
            'number', m.transport_number) END,
        'origin_country', m.origin_country, 'destination_country', m.destination_country,
        'observations', m.observations, 'anomalies', m.anomalies,
        'recorded_at', m.recorded_at,
        'annulment', CASE WHEN a.movement_id IS NULL THEN NULL ELSE json_build_object(
            'reason', a.reason, 'reference', a.reference,
            'annulled_by', coalesce(c.name, a.annulled_by::text),
            'annulled_at', a.annulled_at) END
    )
"""

# Composed from constants only: no user input reaches the SQL text.
_HISTORY_PAGE = text(
    f"""
    WITH {_PERSON_CTES},
    page AS (
        SELECT m.occurred_at, m.movement_id, {_MOVEMENT_JSON} AS doc
        FROM movements m
        LEFT JOIN annulments a ON a.movement_id = m.movement_id
        LEFT JOIN api_clients c ON c.id = a.annulled_by
        WHERE m.person_id IN (SELECT id FROM members)
          AND m.occurred_at >= :from_ts AND m.occurred_at < :to_ts
          AND (m.occurred_at, m.movement_id) > (:after_ts, CAST(:after_id AS uuid))
        ORDER BY m.occurred_at, m.movement_id
        LIMIT :fetch
    ),
    logged AS (
        INSERT INTO access_log (client_id, action, identity, person_id, purpose, reference,
                                movement_count, request_id, on_behalf_of)
        SELECT :client_id, 'HISTORY_SEARCH', CAST(:identity AS jsonb), (SELECT id FROM target),
               :purpose, :reference, least((SELECT count(*) FROM page), :limit), :request_id,
               :on_behalf_of
        RETURNING id
    )
    SELECT (SELECT row_to_json(person) FROM person) AS person,
           (SELECT coalesce(json_agg(doc ORDER BY occurred_at, movement_id), '[]')
            FROM page) AS movements,
           (SELECT id FROM logged) AS access_log_id
    """
)

_PERSON = text(f"WITH {_PERSON_CTES} SELECT row_to_json(person) FROM person")

_IDENTIFIER_OF_PERSON = text(
    "SELECT i.identifier FROM person_identifiers i JOIN persons p ON p.id = i.person_id "
    "WHERE p.id = :person_id LIMIT 1"
)


@dataclass(frozen=True, slots=True)
class PageRows:
    person: dict[str, Any] | None
    movements: list[dict[str, Any]]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def history_page(
    session: AsyncSession,
    *,
    identifier: str,
    from_ts: datetime,
    to_ts: datetime,
    after_ts: datetime,
    after_id: UUID,
    limit: int,
    client_id: UUID,
    identity: dict[str, Any],
    purpose: str,
    reference: str,
    on_behalf_of: str | None = None,
) -> PageRows:
    row = (
        await session.execute(
            _HISTORY_PAGE,
            {
                "identifier": identifier, "from_ts": from_ts, "to_ts": to_ts,
                "after_ts": after_ts, "after_id": str(after_id), "fetch": limit + 1,
                "limit": limit, "client_id": client_id, "identity": json.dumps(identity),
                "purpose": purpose, "reference": reference, "request_id": current_request_id(),
                "on_behalf_of": on_behalf_of,
            },
        )
    ).one()  # fmt: skip
    return PageRows(person=_json(row.person), movements=_json(row.movements))


async def person_by_id(session: AsyncSession, person_id: UUID) -> dict[str, Any] | None:
    identifier = await session.scalar(_IDENTIFIER_OF_PERSON, {"person_id": person_id})
    if identifier is None:
        return None
    found = _json(await session.scalar(_PERSON, {"identifier": identifier}))
    return dict(found) if found is not None else None
