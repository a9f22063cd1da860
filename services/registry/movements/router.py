from typing import Annotated
from uuid import UUID

from fastapi import Body, Response, status

from services.registry.deps import MovementCorrector, MovementReader, MovementWriter
from services.registry.movements import schemas, service
from shared.db import ConnectionsDep, SessionDep
from shared.errors import ProblemSchema
from shared.request_id import current_request_id
from shared.web import api_router, json_answer

router = api_router(prefix="/v1/movements", tags=["movements"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    401: {"model": ProblemSchema, "description": "Missing or invalid token"},
    403: {"model": ProblemSchema, "description": "Token lacks the scope"},
    413: {"model": ProblemSchema, "description": "Body too large"},
    422: {"model": ProblemSchema, "description": "Every failed rule, one entry each"},
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.MovementOut,
    responses={
        200: {"model": schemas.MovementOut, "description": "Same movement_id, same content"},
        409: {"model": ProblemSchema, "description": "Same movement_id, different content"},
        **_PROBLEMS,
    },
)
async def record_movement(
    movement: schemas.MovementIn, connections: ConnectionsDep, caller: MovementWriter
) -> Response:
    """Record one entry or exit (scope `movements:write`).

    `movement_id` is the idempotency key: send the same movement again (a retry, an
    offline re-upload) and you get **200** with the stored movement; reuse the id for
    different content and you get **409**. A new movement answers **201** with
    `person_id`, `recorded_at`, a `Location` header and `anomalies` such as
    `CONSECUTIVE_ENTRY`: anomalies are flagged, never rejected, because the
    crossing already happened.
    """
    result = await service.record(
        connections, movement, recorded_by=caller.client_id, request_id=current_request_id()
    )
    assert result.movement is not None
    return json_answer(
        result.movement,
        status.HTTP_200_OK if result.outcome == "duplicate" else status.HTTP_201_CREATED,
        {"Location": f"/v1/movements/{movement.movement_id}"},
    )


@router.post(
    "/batch",
    response_model=schemas.BatchOut,
    responses={
        200: {"description": "Per-item results; rejected items carry their errors"},
        **_PROBLEMS,
    },
)
async def record_batch(
    batch: schemas.BatchIn, connections: ConnectionsDep, caller: MovementWriter
) -> Response:
    """Upload up to 1000 movements at once (scope `movements:write`), e.g. after a land
    post worked offline.

    Each item is judged alone, exactly as `POST /v1/movements` would: valid items are
    stored even when others are rejected, and `results[i].status` says what happened
    to item `i` (`created`, `duplicate`, `conflict`, `rejected` with `errors`). Re-sending
    the same batch is safe: stored items come back as `duplicate`.
    """
    return json_answer(
        await service.record_batch(
            connections,
            batch.movements,
            recorded_by=caller.client_id,
            request_id=current_request_id(),
        )
    )


@router.get(
    "/{movement_id}",
    response_model=schemas.MovementOut,
    responses={404: {"model": ProblemSchema}, **_PROBLEMS},
)
async def get_movement(
    movement_id: UUID, session: SessionDep, caller: MovementReader
) -> schemas.MovementOut:
    """One movement, with its annulment if any (`movements:write` or `history:read`).

    `person_id` is the person as identified now (the surviving one after a merge), and
    `CONSECUTIVE_ENTRY` / `CONSECUTIVE_EXIT` are recomputed over the person's history as
    it stands now, late uploads included. The read is written to the access log."""
    return await service.read(session, movement_id, reader=caller.client_id)


@router.post(
    "/{movement_id}/annulment",
    response_model=schemas.MovementOut,
    responses={
        404: {"model": ProblemSchema},
        409: {"model": ProblemSchema, "description": "Already annulled"},
        **_PROBLEMS,
    },
)
async def annul_movement(
    movement_id: UUID,
    body: Annotated[schemas.AnnulmentIn, Body()],
    session: SessionDep,
    caller: MovementCorrector,
) -> schemas.MovementOut:
    """Annul a movement recorded in error (scope `movements:correct`).

    Nothing is edited or deleted: the annulment is recorded beside the movement (who,
    when, why, under which reference). Annulled movements stay in history with their
    annulment and are left out of certificates. Annulling twice answers 409.
    """
    return await service.annul(
        session,
        movement_id,
        reason=body.reason,
        reference=body.reference,
        annulled_by=caller.client_id,
    )
