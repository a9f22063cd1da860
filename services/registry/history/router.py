from uuid import UUID

from fastapi import Response

from services.registry.deps import HistoryReader
from services.registry.history import service
from services.registry.history.schemas import HistoryPage, HistorySearch, PersonOut
from shared.db import ConnectionsDep, SessionDep
from shared.errors import ProblemSchema
from shared.web import api_router

router = api_router(tags=["history"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    401: {"model": ProblemSchema},
    403: {"model": ProblemSchema},
    422: {"model": ProblemSchema},
}


@router.post("/v1/history/search", response_model=HistoryPage, responses=_PROBLEMS)
async def search_history(
    query: HistorySearch, connections: ConnectionsDep, caller: HistoryReader
) -> Response:
    """A person's movements, oldest first (scope `history:read`).

    Identify the person by `{"national_id"}` or by `{"document_type",
    "document_number", "issuing_country"}`: either finds *all* of the person's
    movements, across passport renewals and nationalities. `from`/`to` are inclusive
    Ecuador dates. Pages hold up to `limit` movements; pass `next_cursor` back as
    `cursor` for the next page. An unknown person is not an error: `person` is null.

    `person` shows the data of record (first recorded with the cédula, else with the
    document); each movement shows the data it was captured with. Each movement's
    `CONSECUTIVE_ENTRY` / `CONSECUTIVE_EXIT` are derived now, over the person's whole
    non-annulled history in time order, so a land post's late upload is reflected; the
    POST answer a terminal got told what was known when the movement was recorded.

    Every call is written to the access log with `purpose` and `reference`. This is a
    POST so identity numbers stay out of URLs and proxy logs.
    """
    page = await service.search(connections, query, client_id=caller.client_id)
    return Response(page, media_type="application/json")


@router.get(
    "/v1/persons/{person_id}",
    response_model=PersonOut,
    responses={404: {"model": ProblemSchema}, **_PROBLEMS},
)
async def get_person(person_id: UUID, session: SessionDep, caller: HistoryReader) -> PersonOut:
    """A person's data of record, with every document linked to them (scope
    `history:read`).

    The names, birth date, sex and nationality are those first recorded with the
    person's cédula (else with their document): a later movement captured with other
    data is flagged `IDENTITY_DATA_MISMATCH` and never renames the person. A merged
    person's old id answers with the surviving person. The read is written to the access
    log."""
    return await service.read_person(session, person_id, reader=caller.client_id)
