from fastapi import Request

from services.registry.deps import HistoryReader
from services.registry.stays import service
from services.registry.stays.schemas import StaysQuery, StaysSummary
from shared.db import ConnectionsDep
from shared.errors import ProblemSchema
from shared.web import api_router

router = api_router(tags=["stays"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    401: {"model": ProblemSchema},
    403: {"model": ProblemSchema},
    422: {"model": ProblemSchema},
}


@router.post("/v1/stays/summary", response_model=StaysSummary, responses=_PROBLEMS)
async def stays_summary(
    query: StaysQuery, request: Request, connections: ConnectionsDep, caller: HistoryReader
) -> StaysSummary:
    """How long a person has been in Ecuador and abroad, as of `on` (scope `history:read`).

    Only movements that occurred on or before `on` (Ecuador's calendar; default today)
    and are not annulled count. A stay runs from an ENTRY to the next EXIT and counts
    every calendar day in Ecuador, the day of entry and the day of exit included; a stay
    with no exit yet runs to `on`. A second ENTRY with no EXIT between continues the same
    stay; an EXIT with no ENTRY before it counts only its own day (`entered_on` null) and
    adds `UNKNOWN_ENTRY` to `anomalies`.

    - `days_in_ecuador.last_N`: days in Ecuador among the N days ending on `on`.
    - `status`: after the last counted movement, `IN_ECUADOR` (ENTRY), `ABROAD` (EXIT),
      `UNKNOWN` (none).
    - `visitor_allowance` (nationality other than ECU): the visitor's 90 days in any 365
      (`REGISTRY_VISITOR_ALLOWANCE_DAYS`, `REGISTRY_VISITOR_WINDOW_DAYS`).
    - `returnee` (Ecuadorians in Ecuador on `on` who have left before; Reglamento art. 6):
      `returned_on` is the ENTRY that began the current stay; walking back from it, a
      stay of at most 90 days is a visit and does not end the time abroad; the first
      longer stay (or one whose entry is unknown) ends it, and `abroad_from` is the EXIT
      that closed it (the earliest registered EXIT when all were visits).
      `more_than_two_years_abroad`: `days_abroad` > 730.
    - `last_movement` shows its consecutive-direction anomalies as the history stands
      now (read time), like history does.

    Written to the access log like a history search, with `purpose` and `reference`.
    """
    settings = request.app.state.settings
    return await service.summarise(
        connections,
        query,
        client_id=caller.client_id,
        allowance_days=settings.visitor_allowance_days,
        window_days=settings.visitor_window_days,
    )
