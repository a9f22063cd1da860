"""History queries: one read-only statement per page (its access-log row is written by
services/registry/access_log/writer.py before the page is sent)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.movements.answer import MOVEMENT_ANSWER, previous_direction
from shared.db import positional

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

# Composed from constants only: no user input reaches the SQL text. One pass over the
# page: its rows are read once (keyset, in index order, one row more than asked to know
# whether more follow), numbered and lagged by window functions, and aggregated into the
# answer's JSON, the cursor and the count in the same aggregate. (Choosing the page in a
# CTE, then reading its rows again by primary key to number them and again to write them,
# cost 30% more database CPU for a 50-movement page.) The answer is written only for the
# rows shown: FILTER is checked before an aggregate's argument is computed.
#
# The read-time rule needs each movement's previous non-annulled movement. The page is a
# run of consecutive movements of the person in (occurred_at, movement_id) order, so
# within it that is lag() over its non-annulled rows; only the first of them needs one
# backward index probe per merged record for the movement before the page.
_HISTORY_PAGE, _HISTORY_PAGE_PARAMETERS = positional(
    f"""
    WITH {TARGET_BY_IDENTIFIER}, {PERSON_CTES}
    SELECT (SELECT row_to_json(person)::text FROM person) AS person,
           '[' || coalesce(string_agg({MOVEMENT_ANSWER}, ',' ORDER BY m.n)
                           FILTER (WHERE m.n <= :limit), '') || ']' AS movements,
           count(*) > :limit AS more,
           max(m.occurred_at) FILTER (WHERE m.n = :limit) AS last_occurred_at,
           (array_agg(m.movement_id) FILTER (WHERE m.n = :limit))[1] AS last_movement_id,
           (SELECT id FROM target) AS person_id,
           least(count(*), :limit) AS shown
    FROM (
        SELECT page.*,
               row_number() OVER (ORDER BY page.occurred_at, page.movement_id) AS n,
               lag(page.direction) OVER (PARTITION BY a.movement_id IS NULL
                                         ORDER BY page.occurred_at, page.movement_id) AS lagged
        FROM (
            SELECT m.* FROM movements m
            WHERE m.person_id IN (SELECT id FROM members)
              AND m.occurred_at >= :from_ts AND m.occurred_at < :to_ts
              AND (m.occurred_at, m.movement_id) > (:after_ts, CAST(:after_id AS uuid))
            ORDER BY m.occurred_at, m.movement_id
            LIMIT :fetch
        ) page
        LEFT JOIN annulments a ON a.movement_id = page.movement_id
    ) m
    LEFT JOIN annulments a ON a.movement_id = m.movement_id
    LEFT JOIN api_clients c ON c.id = a.annulled_by
    CROSS JOIN (SELECT id AS person_id FROM target) canonical
    LEFT JOIN LATERAL {
        previous_direction("members", "m.lagged IS NULL AND a.movement_id IS NULL")
    } before ON true
    CROSS JOIN LATERAL (SELECT coalesce(m.lagged, before.direction) AS prev_direction) x
    """
)

_PERSON_BY_ID = text(f"WITH {_TARGET_BY_ID}, {PERSON_CTES} SELECT row_to_json(person) FROM person")


@dataclass(frozen=True, slots=True)
class PageRows:
    """A page as PostgreSQL wrote it: JSON texts in the answer's shape, sent as they are."""

    person: str | None  # PersonOut
    movements: str  # [MovementOut, ...]
    # The page's last movement, when more follow: the next page's cursor.
    more_after: tuple[datetime, UUID] | None
    person_id: UUID | None  # the canonical person, for the access log
    shown: int  # movements on the page


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def history_page(
    connection: asyncpg.Connection,
    *,
    identifier: str,
    from_ts: datetime,
    to_ts: datetime,
    after_ts: datetime,
    after_id: UUID,
    limit: int,
) -> PageRows:
    parameters = {
        "identifier": identifier, "from_ts": from_ts, "to_ts": to_ts,
        "after_ts": after_ts, "after_id": after_id, "fetch": limit + 1, "limit": limit,
    }  # fmt: skip
    row = await connection.fetchrow(
        _HISTORY_PAGE, *(parameters[name] for name in _HISTORY_PAGE_PARAMETERS)
    )
    assert row is not None  # an aggregate over the CTEs: always one row
    more_after = (row["last_occurred_at"], row["last_movement_id"]) if row["more"] else None
    return PageRows(
        person=row["person"], movements=row["movements"], more_after=more_after,
        person_id=row["person_id"], shown=row["shown"],
    )  # fmt: skip


async def person_by_id(session: AsyncSession, person_id: UUID) -> dict[str, Any] | None:
    """The surviving person for any id they were ever known by, with data of record."""
    found = _json(await session.scalar(_PERSON_BY_ID, {"person_id": person_id}))
    return dict(found) if found is not None else None
