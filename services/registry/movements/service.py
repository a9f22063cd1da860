"""Rules for recording and annulling movements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

import asyncpg
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry import metrics
from services.registry.audit import log_access
from services.registry.movements import repository, schemas
from services.registry.movements.answer import AnomaliesAt, movement_answer, row_from_input
from services.registry.movements.repository import Recorded
from shared.db import Connections, driver_connection
from shared.errors import Conflict, FieldError, NotFound
from shared.validation import field_errors

Outcome = Literal["created", "duplicate", "conflict"]


class MovementConflict(Conflict):
    type_slug = "movement-conflict"
    title = "movement_id already used for different content"


class MovementNotFound(NotFound):
    type_slug = "movement-not-found"
    title = "No movement with that id"


class AlreadyAnnulled(Conflict):
    type_slug = "movement-already-annulled"
    title = "The movement is already annulled"


@dataclass(frozen=True, slots=True)
class RecordOutcome:
    outcome: Outcome
    movement: schemas.MovementOut | None


def _outcome(movement: schemas.MovementIn, stored: Recorded) -> Outcome:
    if stored.created:
        return "created"
    return "duplicate" if stored.content_sha256 == movement.content_sha256() else "conflict"


def _as_out(movement: schemas.MovementIn, stored: Recorded) -> schemas.MovementOut:
    row = row_from_input(
        movement,
        person_id=stored.person_id,
        recorded_at=stored.recorded_at,
        anomalies=stored.anomalies,
    )
    return movement_answer(row, at="insert")


async def record(
    connections: Connections,
    movement: schemas.MovementIn,
    *,
    recorded_by: UUID,
    request_id: str | None,
) -> RecordOutcome:
    async with connections.acquire() as connection:
        [stored] = await repository.record(
            connection, [movement], recorded_by=recorded_by, request_id=request_id
        )
        outcome = _outcome(movement, stored)
        # A retry gets what is stored (it may have been annulled since), its anomalies
        # as they were known when it was recorded.
        retried = (
            await _stored(connection, movement.movement_id, at="insert")
            if outcome == "duplicate"
            else None
        )
    metrics.observe_recorded([(movement, outcome, stored.anomalies)])
    if outcome == "conflict":
        raise MovementConflict(
            f"Movement {movement.movement_id} was recorded with different content; "
            "a terminal must mint a new movement_id for a new capture."
        )
    return RecordOutcome(outcome, retried or _as_out(movement, stored))


async def record_batch(
    connections: Connections,
    raw_items: Sequence[dict[str, Any]],
    *,
    recorded_by: UUID,
    request_id: str | None,
) -> schemas.BatchOut:
    """Each item is judged alone: valid ones are stored even when others are rejected."""
    results: list[schemas.BatchItemResult | None] = [None] * len(raw_items)
    valid: list[tuple[int, schemas.MovementIn]] = []
    for index, raw in enumerate(raw_items):
        try:
            valid.append((index, schemas.MovementIn.model_validate(raw)))
        except ValidationError as exc:
            results[index] = schemas.BatchItemResult(
                index=index,
                movement_id=_raw_movement_id(raw),
                status="rejected",
                errors=[e.as_dict() for e in field_errors(exc)],
            )

    movements = [m for _, m in valid]
    # One statement: record_movements() takes the batch's locks and records it, atomically.
    async with connections.acquire() as connection:
        stored = await repository.record(
            connection, movements, recorded_by=recorded_by, request_id=request_id
        )
    observed = []
    for (index, movement), row in zip(valid, stored, strict=True):
        outcome = _outcome(movement, row)
        observed.append((movement, outcome, row.anomalies))
        results[index] = schemas.BatchItemResult(
            index=index,
            movement_id=str(movement.movement_id),
            status=outcome,
            errors=[] if outcome != "conflict" else [_CONFLICT_ERROR.as_dict()],
            anomalies=row.anomalies if outcome != "conflict" else [],
        )
    metrics.observe_recorded(observed)
    metrics.BATCH_SIZE.observe(len(raw_items))

    final = [r for r in results if r is not None]
    summary = schemas.BatchSummary()
    for r in final:
        setattr(summary, r.status, getattr(summary, r.status) + 1)
    return schemas.BatchOut(results=final, summary=summary)


_CONFLICT_ERROR = FieldError(
    "MOVEMENT_ID_CONFLICT", "movement_id", "already recorded with different content"
)


def _raw_movement_id(raw: Any) -> str | None:
    value = raw.get("movement_id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


async def _stored(
    connection: asyncpg.Connection, movement_id: UUID, *, at: AnomaliesAt
) -> schemas.MovementOut:
    row = await repository.get(connection, movement_id)
    if row is None:
        raise MovementNotFound(f"No movement {movement_id}.")
    return movement_answer(row, at=at)


async def read(session: AsyncSession, movement_id: UUID, *, reader: UUID) -> schemas.MovementOut:
    """One movement for a reader, written to the access log under the surviving person."""
    movement = await _stored(await driver_connection(session), movement_id, at="read")
    await log_access(
        session,
        client_id=reader,
        action="MOVEMENT_READ",
        identity=None,
        person_id=movement.person_id,
        purpose=None,
        reference=str(movement_id),
        movement_count=1,
    )
    return movement


async def annul(
    session: AsyncSession,
    movement_id: UUID,
    *,
    reason: str,
    reference: str | None,
    annulled_by: UUID,
) -> schemas.MovementOut:
    connection = await driver_connection(session)
    if await repository.get(connection, movement_id) is None:
        raise MovementNotFound(f"No movement {movement_id}.")
    if not await repository.annul(
        session, movement_id, reason=reason, reference=reference, annulled_by=annulled_by
    ):
        raise AlreadyAnnulled(f"Movement {movement_id} is already annulled.")
    metrics.ANNULMENTS.inc()
    return await _stored(connection, movement_id, at="read")
