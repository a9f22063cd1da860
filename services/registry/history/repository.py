"""History queries: one statement per page, the access-log row included."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.movements.answer import MOVEMENT_ANSWER, MOVEMENT_JOINS
from shared.db import driver_connection, positional
from shared.request_id import current_request_id

# The person is the canonical one of whoever holds the identifier; its movements are
# those of every person merged into it. Names and birth data are the data of record
# (person_data_of_record(): first recorded with the cédula, else with the document), never
# those of the latest movement, so a booth typo renames nobody.
TARGET_BY_IDENTIFIER = """
    target AS (
        SELECT p.canonical_id AS id
        FROM person_identifiers i JOIN persons p ON p.id = i.person_id
        WHERE i.identifier = :identifier
    )
"""

_TARGET_BY_ID = """
    target AS (SELECT p.canonical_id AS id FROM persons p WHERE p.id = :person_id)
"""

PERSON_CTES = """
    members AS (
        SELECT p.id FROM persons p WHERE p.canonical_id = (SELECT id FROM target)
    ),
    person AS (
        SELECT t.id AS person_id, r.surnames, r.given_names, r.birth_date, r.sex,
               r.nationality,
               (SELECT i.national_id FROM person_identifiers i
                WHERE i.person_id IN (SELECT id FROM members) AND i.national_id IS NOT NULL
                ORDER BY i.first_seen_at LIMIT 1) AS national_id,
               (SELECT coalesce(json_agg(json_build_object(
                            'document_type', i.document_type,
                            'document_number', i.document_number,
                            'issuing_country', i.issuing_country)
                        ORDER BY i.first_seen_at, i.identifier), '[]')
                FROM person_identifiers i
                WHERE i.person_id IN (SELECT id FROM members) AND i.document_number IS NOT NULL
               ) AS documents
        FROM target t CROSS JOIN LATERAL person_data_of_record(t.id) r
    )
"""

# Composed from constants only: no user input reaches the SQL text. The page is chosen
# first (keyset, in index order); only its rows are then turned into answers.
_HISTORY_PAGE, _HISTORY_PAGE_PARAMETERS = positional(
    f"""
    WITH {TARGET_BY_IDENTIFIER}, {PERSON_CTES},
    page AS (
        SELECT m.occurred_at, m.movement_id
        FROM movements m
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
           (SELECT coalesce(json_agg({MOVEMENT_ANSWER} ORDER BY m.occurred_at, m.movement_id),
                            '[]')::text
            FROM page JOIN movements m ON m.movement_id = page.movement_id {MOVEMENT_JOINS}
           ) AS movements,
           (SELECT id FROM logged) AS access_log_id
    """
)

_PERSON_BY_ID = text(f"WITH {_TARGET_BY_ID}, {PERSON_CTES} SELECT row_to_json(person) FROM person")


@dataclass(frozen=True, slots=True)
class PageRows:
    person: dict[str, Any] | None
    movements: str  # a JSON array of MOVEMENT_ANSWER objects, for movement_answers()


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
    parameters = {
        "identifier": identifier, "from_ts": from_ts, "to_ts": to_ts,
        "after_ts": after_ts, "after_id": after_id, "fetch": limit + 1,
        "limit": limit, "client_id": client_id, "identity": json.dumps(identity),
        "purpose": purpose, "reference": reference, "request_id": current_request_id(),
        "on_behalf_of": on_behalf_of,
    }  # fmt: skip
    # The request's one statement, on the asyncpg connection: the access-log row and the
    # page commit together in PostgreSQL's implicit transaction.
    connection = await driver_connection(session)
    row = await connection.fetchrow(
        _HISTORY_PAGE, *(parameters[name] for name in _HISTORY_PAGE_PARAMETERS)
    )
    assert row is not None  # an aggregate over the CTEs: always one row
    return PageRows(person=_json(row["person"]), movements=row["movements"])


async def person_by_id(session: AsyncSession, person_id: UUID) -> dict[str, Any] | None:
    """The surviving person for any id they were ever known by, with data of record."""
    found = _json(await session.scalar(_PERSON_BY_ID, {"person_id": person_id}))
    return dict(found) if found is not None else None
