"""Reading a person's history: identity resolution, Ecuador dates, keyset pages."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry import metrics
from services.registry.access_log import writer
from services.registry.audit import log_access
from services.registry.calendar import ECUADOR
from services.registry.history import repository
from services.registry.history.schemas import HistorySearch, PersonOut
from shared.db import Connections
from shared.errors import NotFound
from shared.http_metrics import labelled
from shared.pagination import decode_cursor, encode_cursor, invalid_cursor

_BEGINNING = datetime(1900, 1, 1, tzinfo=UTC)
_END = datetime(9999, 1, 1, tzinfo=UTC)
_NIL = UUID(int=0)


class PersonNotFound(NotFound):
    type_slug = "person-not-found"
    title = "No person with that id"


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ECUADOR)


async def search(connections: Connections, query: HistorySearch, *, client_id: UUID) -> bytes:
    """The page as a HistoryPage JSON document."""
    after_ts, after_id = _BEGINNING - timedelta(days=1), _NIL
    if query.cursor:
        position = decode_cursor(query.cursor)
        try:
            after_ts = datetime.fromisoformat(position["t"])
            after_id = UUID(position["id"])
        except (KeyError, TypeError, ValueError) as exc:
            raise invalid_cursor() from exc
    async with connections.acquire() as connection:
        rows = await repository.history_page(
            connection,
            identifier=query.identity.identifier(),
            from_ts=start_of(query.from_) if query.from_ else _BEGINNING,
            to_ts=start_of(query.to + timedelta(days=1)) if query.to else _END,
            after_ts=after_ts,
            after_id=after_id,
            limit=query.limit,
        )
    # Before the data is sent: no personal data leaves without its access-log row.
    await writer.log_read(
        connections, query, action="HISTORY_SEARCH", client_id=client_id,
        person_id=rows.person_id, movement_count=rows.shown,
    )  # fmt: skip
    labelled(metrics.HISTORY_SEARCHES, query.purpose).inc()
    next_cursor = None
    if rows.more_after is not None:
        last_at, last_id = rows.more_after
        next_cursor = encode_cursor({"t": last_at.isoformat(), "id": str(last_id)})
    # HistoryPage, assembled from the JSON PostgreSQL wrote in its shape: parsing and
    # re-serialising a long page cost more than the rest of the request.
    return b"".join((
        b'{"person":', (rows.person or "null").encode(),
        b',"movements":', rows.movements.encode(),
        b',"next_cursor":', b"null" if next_cursor is None else json.dumps(next_cursor).encode(),
        b"}",
    ))  # fmt: skip


async def read_person(session: AsyncSession, person_id: UUID, *, reader: UUID) -> PersonOut:
    """A person by any id they were known by, written to the access log as the survivor."""
    found = await repository.person_by_id(session, person_id)
    if found is None:
        raise PersonNotFound(f"No person {person_id}.")
    person = PersonOut.model_validate(found)
    await log_access(
        session,
        client_id=reader,
        action="PERSON_READ",
        identity=None,
        person_id=person.person_id,
        purpose=None,
        reference=str(person_id),
        movement_count=0,
    )
    return person
