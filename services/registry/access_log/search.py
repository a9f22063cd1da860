"""Who consulted me: every logged read of one person's data, newest first."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.access_log.schemas import AccessLogItem, AccessLogPage, AccessLogSearch
from services.registry.audit import log_access
from shared.pagination import decode_cursor, encode_cursor, invalid_cursor

ECUADOR = ZoneInfo("America/Guayaquil")
_BEGINNING = datetime(1900, 1, 1, tzinfo=UTC)
_END = datetime(9999, 1, 1, tzinfo=UTC)

# Reads are logged by action; integrators know them by endpoint.
ENDPOINTS = {
    "HISTORY_SEARCH": "POST /v1/history/search",
    "STAYS_SUMMARY": "POST /v1/stays/summary",
    "MOVEMENT_READ": "GET /v1/movements/{movement_id}",
    "PERSON_READ": "GET /v1/persons/{person_id}",
    "ACCESS_LOG_SEARCH": "POST /v1/access-log/search",
}

# The person is whoever holds the identifier now, merged persons included; a read made
# before the person was known matched nobody, so it is found by what was asked for.
_PAGE = text(
    """
    WITH target AS (
        SELECT p.canonical_id AS id
        FROM person_identifiers i JOIN persons p ON p.id = i.person_id
        WHERE i.identifier = :identifier
    ),
    members AS (SELECT p.id FROM persons p WHERE p.canonical_id = (SELECT id FROM target))
    SELECT (SELECT id FROM target) AS person_id, a.id, a.at, c.name AS client, a.action,
           a.purpose, a.reference, a.movement_count, a.request_id, a.on_behalf_of
    FROM access_log a JOIN api_clients c ON c.id = a.client_id
    WHERE (a.person_id IN (SELECT id FROM members)
           OR (a.person_id IS NULL AND a.identity = CAST(:identity AS jsonb)))
      AND a.at >= :from_ts AND a.at < :to_ts
      AND (a.at, a.id) < (:before_at, :before_id)
    ORDER BY a.at DESC, a.id DESC
    LIMIT :fetch
    """
)


def _start_of(day: object) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ECUADOR)  # type: ignore[arg-type]


async def search(
    session: AsyncSession, query: AccessLogSearch, *, client_id: UUID
) -> AccessLogPage:
    before_at, before_id = _END, 2**62
    if query.cursor:
        position = decode_cursor(query.cursor)
        try:
            before_at, before_id = datetime.fromisoformat(position["t"]), int(position["id"])
        except (KeyError, TypeError, ValueError) as exc:
            raise invalid_cursor() from exc
    identity = query.identity.model_dump(exclude_none=True)
    rows = (
        await session.execute(
            _PAGE,
            {
                "identifier": query.identity.identifier(),
                "identity": json.dumps(identity),
                "from_ts": _start_of(query.from_) if query.from_ else _BEGINNING,
                "to_ts": _start_of(query.to + timedelta(days=1)) if query.to else _END,
                "before_at": before_at,
                "before_id": before_id,
                "fetch": query.limit + 1,
            },
        )
    ).all()
    page, more = rows[: query.limit], len(rows) > query.limit
    items = [
        AccessLogItem(
            at=r.at,
            client=r.client,
            endpoint=ENDPOINTS.get(r.action, r.action),
            purpose=r.purpose,
            reference=r.reference,
            movement_count=r.movement_count,
            request_id=r.request_id,
            on_behalf_of=r.on_behalf_of,
        )
        for r in page
    ]
    person_id = rows[0].person_id if rows else await _person_of(session, query)
    # Reading who consulted a person is itself a read of that person's data.
    await log_access(
        session,
        client_id=client_id,
        action="ACCESS_LOG_SEARCH",
        identity=identity,
        person_id=person_id,
        purpose="AUDIT",
        reference=query.reference,
        movement_count=len(items),
    )
    next_cursor = encode_cursor({"t": page[-1].at.isoformat(), "id": page[-1].id}) if more else None
    return AccessLogPage(items=items, next_cursor=next_cursor)


async def _person_of(session: AsyncSession, query: AccessLogSearch) -> UUID | None:
    found: UUID | None = await session.scalar(
        text(
            "SELECT p.canonical_id FROM person_identifiers i JOIN persons p ON p.id = i.person_id "
            "WHERE i.identifier = :identifier"
        ),
        {"identifier": query.identity.identifier()},
    )
    return found
