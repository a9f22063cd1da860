"""The insert-time CONSECUTIVE_* anomaly, called where it lives: record_movement().

The movement before a new one is the person's latest in time (not in upload order) that is
not annulled, whichever of the person's merged ids it was recorded under. Checked against
a plain reference over a seeded random history (late uploads, annulments, equal times),
and on a merge, where the previous movement sits under the other id.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.clients.service import create_client
from services.registry.control_points.catalog import CONTROL_POINTS
from services.registry.movements import service
from services.registry.movements.schemas import MovementIn
from tests.support.connections import joined
from tests.support.factories import a_cedula, at, movement


@dataclass(frozen=True)
class Stored:
    movement_id: UUID
    occurred_at: datetime
    direction: str


def expected_flag(history: list[Stored], annulled: set[UUID], new: MovementIn) -> list[str]:
    """The reference: the latest non-annulled movement at or before the new one's time."""
    before = [
        s for s in history if s.occurred_at <= new.occurred_at and s.movement_id not in annulled
    ]
    if not before:
        return []
    previous = max(before, key=lambda s: (s.occurred_at, str(s.movement_id)))
    return [f"CONSECUTIVE_{new.direction}"] if previous.direction == new.direction else []


@pytest.fixture
async def terminal(registry_session: AsyncSession) -> UUID:
    CONTROL_POINTS.invalidate()
    await CONTROL_POINTS.refresh_if_stale(registry_session)
    created = await create_client(
        registry_session, name="Terminal previa", scopes="movements:write"
    )
    return created.client_id


async def _record(session: AsyncSession, terminal: UUID, body: MovementIn) -> list[str]:
    outcome = await service.record(joined(session), body, recorded_by=terminal, request_id=None)
    assert outcome.outcome == "created" and outcome.movement is not None
    return [a for a in outcome.movement.anomalies if a.startswith("CONSECUTIVE_")]


async def test_previous_movement_matches_the_reference(
    registry_session: AsyncSession, terminal: UUID
) -> None:
    rng = random.Random(20261128)
    traveller = {"national_id": a_cedula(9401), "document_number": "PV9401"}
    history: list[Stored] = []
    annulled: set[UUID] = set()
    for step in range(40):
        body = MovementIn.model_validate(
            movement(
                direction=rng.choice(["ENTRY", "EXIT"]),
                occurred_at=at(rng.randrange(30), hour=rng.choice([8, 12])),  # ties happen
                traveller=traveller,
            )
        )
        assert await _record(registry_session, terminal, body) == expected_flag(
            history, annulled, body
        ), step
        history.append(Stored(body.movement_id, body.occurred_at, body.direction))
        if rng.random() < 0.25:
            annulled.add(body.movement_id)
            await service.annul(
                registry_session, body.movement_id, reason="Registrado por error",
                reference=None, annulled_by=terminal,
            )  # fmt: skip


async def test_previous_movement_under_a_merged_id(
    registry_session: AsyncSession, terminal: UUID
) -> None:
    cedula = a_cedula(9402)

    async def record(direction: str, day: int, national_id: str | None, document: str) -> list[str]:
        body = movement(
            direction=direction, occurred_at=at(day),
            traveller={"national_id": national_id, "document_number": document},
        )  # fmt: skip
        return await _record(registry_session, terminal, MovementIn.model_validate(body))

    assert await record("EXIT", 1, cedula, "PV2") == []  # known by the cédula
    assert await record("ENTRY", 5, None, "PV1") == []  # a passport, known alone
    # The passport is the cédula holder's: one person now, whose latest is the ENTRY on day 5.
    assert await record("EXIT", 9, cedula, "PV1") == []
    assert await record("ENTRY", 7, cedula, "PV2") == ["CONSECUTIVE_ENTRY"]  # a late upload
