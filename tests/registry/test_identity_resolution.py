"""Identity resolution, called where it lives: the service and record_movement().

Each case is a sequence of captures; the table says which captures end up as the same
person (letters: same letter, same person, as read *now*, after any merge), which
identity anomalies each one is flagged with, and the person's data of record at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.clients.service import create_client
from services.registry.control_points.catalog import CONTROL_POINTS
from services.registry.history import repository as history
from services.registry.movements import service
from services.registry.movements.schemas import MovementIn
from tests.support.connections import joined
from tests.support.factories import a_cedula, at, movement

A, B = a_cedula(9101), a_cedula(9102)
IDENTITY_FLAGS = {"IDENTITY_DATA_MISMATCH", "DOCUMENT_HELD_BY_OTHER_PERSON"}


def capture(**traveller: Any) -> dict[str, Any]:
    return traveller


def colombian(number: str, **more: Any) -> dict[str, Any]:
    return capture(document_number=number, issuing_country="COL", nationality="COL", **more)


@dataclass
class Case:
    captures: list[dict[str, Any]]
    persons: str  # one letter per capture
    flags: list[set[str]] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)  # expected data of record


CASES = {
    "new person": Case([capture(national_id=A, document_number="P1")], "a", [set()],
                       {"surnames": "PEREZ GOMEZ", "national_id": A}),
    "known cédula, another passport": Case(
        [capture(national_id=A, document_number="P1"), capture(national_id=A, document_number="P2")],
        "aa", [set(), set()]),
    "known passport, no cédula": Case(
        [capture(national_id=None, document_number="P1"), capture(national_id=None, document_number="P1")],
        "aa", [set(), set()], {"national_id": None}),
    "renewal: the new passport alone finds the person": Case(
        [capture(national_id=A, document_number="OLD"), capture(national_id=A, document_number="NEW"),
         capture(national_id=None, document_number="NEW")],
        "aaa", [set(), set(), set()]),
    "dual nationality": Case(
        [capture(national_id=A, document_number="P1"), colombian("C1", national_id=A),
         colombian("C1", national_id=None)],
        "aaa", [set(), set(), set()], {"nationality": "ECU"}),
    "merge: a passport known alone joins the cédula holder": Case(
        [capture(national_id=None, document_number="P1"), capture(national_id=A, document_number="P2"),
         capture(national_id=A, document_number="P1")],
        "aaa", [set(), set(), set()], {"national_id": A}),
    "two strangers stay apart": Case(
        [capture(national_id=A, document_number="P1"), capture(national_id=B, document_number="P2")],
        "ab", [set(), set()]),
    "a document held by another cédula is flagged, never merged": Case(
        [capture(national_id=A, document_number="P1"), capture(national_id=B, document_number="P1")],
        "ab", [set(), {"DOCUMENT_HELD_BY_OTHER_PERSON"}]),
    "mismatch: a surname typo": Case(
        [capture(national_id=A, document_number="P1"),
         capture(national_id=A, document_number="P1", surnames="PERES GOMEZ")],
        "aa", [set(), {"IDENTITY_DATA_MISMATCH"}], {"surnames": "PEREZ GOMEZ"}),
    "mismatch: another person's data under a mistyped cédula": Case(
        [capture(national_id=A, document_number="P1"),
         capture(national_id=A, document_number="X9", surnames="LOPEZ", given_names="JUAN",
                 birth_date="1971-02-03", sex="M")],
        "aa", [set(), {"IDENTITY_DATA_MISMATCH"}],
        {"surnames": "PEREZ GOMEZ", "given_names": "MARIA JOSE", "birth_date": "1990-05-01", "sex": "F"}),
    "mismatch: birth date": Case(
        [capture(national_id=A), capture(national_id=A, birth_date="1990-05-02")],
        "aa", [set(), {"IDENTITY_DATA_MISMATCH"}], {"birth_date": "1990-05-01"}),
    "mismatch: sex": Case(
        [capture(national_id=A), capture(national_id=A, sex="X")],
        "aa", [set(), {"IDENTITY_DATA_MISMATCH"}], {"sex": "F"}),
    "no mismatch: case, accents and extra spaces": Case(
        [capture(national_id=A, surnames="PÉREZ GÓMEZ", given_names="MARÍA JOSÉ"),
         capture(national_id=A, surnames="perez   gomez", given_names="Maria Jose"),
         capture(national_id=A, surnames="Pérez Gómez", given_names="MARIA  JOSÉ")],
        "aaa", [set(), set(), set()], {"surnames": "PÉREZ GÓMEZ"}),
    "no mismatch: ñ and ü fold too": Case(
        [capture(national_id=A, surnames="NÚÑEZ GÜEMES"), capture(national_id=A, surnames="NUNEZ GUEMES")],
        "aa", [set(), set()]),
    "a document-only person's first cédula becomes the data of record": Case(
        [capture(national_id=None, document_number="P1", surnames="PEREZ"),
         capture(national_id=A, document_number="P1", surnames="PEREZ GOMEZ"),
         capture(national_id=A, document_number="P1", surnames="PEREZ")],
        "aaa", [set(), {"IDENTITY_DATA_MISMATCH"}, {"IDENTITY_DATA_MISMATCH"}],
        {"surnames": "PEREZ GOMEZ"}),
    "a passport-only typo is flagged against the document's first data": Case(
        [capture(national_id=None, document_number="P1"),
         capture(national_id=None, document_number="P1", given_names="MARIA JOSEE")],
        "aa", [set(), {"IDENTITY_DATA_MISMATCH"}], {"given_names": "MARIA JOSE"}),
}  # fmt: skip


@pytest.fixture
async def terminal(registry_session: AsyncSession) -> UUID:
    """A client to record as, and the control-point catalog the validation reads."""
    CONTROL_POINTS.invalidate()
    await CONTROL_POINTS.refresh_if_stale(registry_session)
    created = await create_client(
        registry_session, name="Terminal directa", scopes="movements:write"
    )
    return created.client_id


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_identity_resolution(
    registry_session: AsyncSession, terminal: UUID, case: Case
) -> None:
    stored = []
    for step, traveller in enumerate(case.captures):
        body = MovementIn.model_validate(
            movement(
                direction="ENTRY" if step % 2 == 0 else "EXIT",
                occurred_at=at(step),
                traveller=traveller,
            )
        )
        outcome = await service.record(
            joined(registry_session),
            body,
            recorded_by=terminal,
            request_id=None,
        )
        assert outcome.outcome == "created" and outcome.movement is not None
        flags = set(outcome.movement.anomalies) & IDENTITY_FLAGS
        assert flags == case.flags[step], (step, outcome.movement.anomalies)
        stored.append(outcome.movement)

    # Read back now: every movement answers the person as identified after all captures.
    now = [await service.read(registry_session, m.movement_id, reader=terminal) for m in stored]
    letters: dict[UUID, str] = {}
    for m in now:
        letters.setdefault(m.person_id, "abcdefgh"[len(letters)])
    assert "".join(letters[m.person_id] for m in now) == case.persons
    # Each movement keeps what was captured.
    for m, traveller in zip(now, case.captures, strict=True):
        for name, value in traveller.items():
            if name in ("surnames", "given_names") and value:
                assert getattr(m.traveller, name) == value.strip()

    person = await history.person_by_id(registry_session, now[0].person_id)
    assert person is not None
    for name, value in case.record.items():
        assert person[name] == value, name


async def test_access_log_and_movement_reads_name_the_surviving_person(
    registry_session: AsyncSession, terminal: UUID
) -> None:
    async def record(step: int, national_id: str | None, document: str) -> UUID:
        body = movement(
            direction="ENTRY" if step % 2 == 0 else "EXIT", occurred_at=at(step),
            traveller={"national_id": national_id, "document_number": document},
        )  # fmt: skip
        outcome = await service.record(
            joined(registry_session),
            MovementIn.model_validate(body),
            recorded_by=terminal,
            request_id=None,
        )
        assert outcome.movement is not None
        return outcome.movement.person_id

    alone = await record(0, None, "M1")  # known only by a passport
    survivor = await record(1, A, "M2")  # known by a cédula
    assert alone != survivor
    await record(2, A, "M1")  # the passport turns out to be the cédula holder's
    movement_of_alone = await registry_session.scalar(
        text("SELECT movement_id FROM movements WHERE person_id = :p"), {"p": alone}
    )
    first = await service.read(registry_session, movement_of_alone, reader=terminal)
    assert first.person_id == survivor
    logged = await registry_session.scalar(
        text(
            "SELECT person_id FROM access_log WHERE action = 'MOVEMENT_READ' ORDER BY id DESC LIMIT 1"
        )
    )
    assert logged == survivor
    person = await history.person_by_id(registry_session, alone)
    assert person is not None and person["person_id"] == str(survivor)
