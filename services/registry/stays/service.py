"""The stay summary: one read of the person's crossings, the counting done in Python."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from services.registry.access_log import writer
from services.registry.calendar import today_in_ecuador
from services.registry.history.schemas import PersonOut
from services.registry.history.service import start_of
from services.registry.movements.answer import movement_answer
from services.registry.stays import counting
from services.registry.stays.repository import summary_rows
from services.registry.stays.schemas import StaysQuery, StaysSummary
from shared.db import Connections


async def summarise(
    connections: Connections,
    query: StaysQuery,
    *,
    client_id: UUID,
    allowance_days: int,
    window_days: int,
) -> StaysSummary:
    on = query.on or today_in_ecuador()
    async with connections.acquire() as connection:
        rows = await summary_rows(
            connection,
            identifier=query.identity.identifier(),
            until_ts=start_of(on + timedelta(days=1)),
        )
    # Before the data is sent: no personal data leaves without its access-log row.
    await writer.log_read(
        connections, query, action="STAYS_SUMMARY", client_id=client_id,
        person_id=rows.person_id, movement_count=rows.counted,
    )  # fmt: skip
    person = PersonOut.model_validate(rows.person) if rows.person else None
    summary = counting.summarise(
        rows.crossings,
        on=on,
        ecuadorian=person is not None and (person.nationality == "ECU" or bool(person.national_id)),
        foreign=person is not None and person.nationality != "ECU",
        allowance_days=allowance_days,
        window_days=window_days,
    )
    days = summary.days_in_ecuador
    return StaysSummary.model_validate(
        {
            "person": person,
            "on": on,
            "status": summary.status,
            "last_movement": movement_answer(rows.last_movement, at="read")
            if rows.last_movement
            else None,
            "days_in_ecuador": {"last_90": days[90], "last_180": days[180], "last_365": days[365]},
            "stays": summary.stays,
            "visitor_allowance": summary.visitor_allowance,
            "returnee": summary.returnee,
            "anomalies": summary.anomalies,
        },
        from_attributes=True,
    )
