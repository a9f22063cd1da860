"""A batch is judged set-based (record_movements()), with the answers of posting its
movements one by one: the same persons, the same anomalies, each movement once."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import asyncpg
import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from services.registry.clients.service import create_client
from services.registry.control_points.catalog import CONTROL_POINTS
from services.registry.movements import repository
from services.registry.movements.schemas import MovementIn
from shared.db import driver_connection
from tests.conftest import Tokens
from tests.support.factories import a_cedula, at, movement

Item = dict[str, Any]


def _traveller(base: int, who: str, **data: Any) -> dict[str, Any]:
    """A traveller of one scenario copy: identifiers derived from ``base``."""
    seeds = {"known": 1, "newcomer": 2, "holder": 3, "other": 4, "cedula": 5}
    national = a_cedula(base + seeds[who]) if who in seeds else None
    return {"national_id": national, "document_number": f"SB{base}{who.upper()}", **data}


def _ordinary(base: int) -> tuple[list[Item], list[Item]]:
    """(stored first, then the batch): known, new and document-only persons, repeats of
    a person inside the batch, a renewal, late uploads, a typo and a retry."""
    known = _traveller(base, "known")
    stranger = {**_traveller(base, "stranger"), "national_id": None}
    before = [
        movement(occurred_at=at(1), traveller=known),
        movement(occurred_at=at(2), traveller=stranger),
    ]
    renewed = {**known, "document_number": f"SB{base}RENEWED"}
    newcomer = _traveller(base, "newcomer")
    tourist = {**_traveller(base, "tourist"), "national_id": None}
    batch = [
        movement(direction="EXIT", occurred_at=at(5), traveller=known),
        movement(direction="EXIT", occurred_at=at(6), traveller=renewed),
        movement(occurred_at=at(3), traveller=newcomer),
        movement(occurred_at=at(4), traveller={**newcomer, "surnames": "PERES GOMEZ"}),
        movement(direction="EXIT", occurred_at=at(2), traveller=newcomer),
        movement(direction="EXIT", occurred_at=at(3), traveller=stranger),
        movement(occurred_at=at(1), traveller=tourist),
        movement(occurred_at=at(9), traveller=tourist),
        movement(occurred_at=at(0), traveller=known),
        before[0],  # a retry
        movement(occurred_at=at(7), traveller={**renewed, "birth_date": "1991-05-01"}),
        movement(direction="EXIT", occurred_at=at(8), traveller=renewed),
    ]
    return before, batch


def _involved(base: int) -> tuple[list[Item], list[Item]]:
    """The same, plus what goes row by row: a merge, a document held by another cédula,
    a cédula added to a document-only person and a movement_id twice."""
    before, batch = _ordinary(base)
    holder = _traveller(base, "holder")
    merged = {**_traveller(base, "merged"), "national_id": None}
    cedula = {**_traveller(base, "cedula")}
    lone = {**_traveller(base, "lone"), "national_id": None}
    before += [
        movement(occurred_at=at(1), traveller=holder),
        movement(occurred_at=at(1), traveller=merged),
        movement(occurred_at=at(2), traveller=cedula),
        movement(occurred_at=at(1), traveller=lone),
    ]
    twice = movement(direction="EXIT", occurred_at=at(4), traveller=holder)
    batch += [
        twice,
        movement(occurred_at=at(3), traveller={**holder, "national_id": a_cedula(base + 4)}),
        movement(direction="EXIT", occurred_at=at(3),
                 traveller={**cedula, "document_number": merged["document_number"]}),
        movement(direction="EXIT", occurred_at=at(2),
                 traveller={**lone, "national_id": a_cedula(base + 6)}),
        twice,
    ]  # fmt: skip
    return before, batch


async def _post_each(registry: AsyncClient, tokens: Tokens, items: list[Item]) -> list[Any]:
    answers = []
    for item in items:
        response = await registry.post("/v1/movements", json=item, headers=tokens.terminal)
        assert response.status_code in (200, 201), response.text
        answers.append(response.json()["anomalies"])
    return answers


async def _persons(registry: AsyncClient, tokens: Tokens, items: list[Item]) -> list[int]:
    """Each item's person now, as the index of the first item with that person."""
    first: dict[str, int] = {}
    seen = []
    for index, item in enumerate(items):
        response = await registry.get(f"/v1/movements/{item['movement_id']}",
                                      headers=tokens.terminal)  # fmt: skip
        seen.append(first.setdefault(response.json()["person_id"], index))
    return seen


@pytest.mark.parametrize("scenario", [_ordinary, _involved], ids=["ordinary", "involved"])
async def test_a_batch_answers_as_posting_one_by_one(
    registry: AsyncClient, tokens: Tokens, scenario: Any
) -> None:
    before_each, batch_each = scenario(88_100)
    before_all, batch_all = scenario(88_200)
    await _post_each(registry, tokens, before_each)
    one_by_one = await _post_each(registry, tokens, batch_each)
    await _post_each(registry, tokens, before_all)
    response = await registry.post(
        "/v1/movements/batch", json={"movements": batch_all}, headers=tokens.terminal
    )
    results = response.json()["results"]
    assert [r["anomalies"] for r in results] == one_by_one
    assert "CONSECUTIVE_EXIT" in one_by_one[1] and "IDENTITY_DATA_MISMATCH" in one_by_one[3]
    statuses = [r["status"] for r in results]
    assert statuses.count("duplicate") == (1 if scenario is _ordinary else 2)
    assert await _persons(registry, tokens, before_all + batch_all) == await _persons(
        registry, tokens, before_each + batch_each
    )


async def test_a_batch_of_one_person_crossing_many_times(
    registry: AsyncClient, tokens: Tokens
) -> None:
    traveller = _traveller(88_300, "newcomer")
    directions = ["ENTRY", "EXIT", "EXIT", "ENTRY", "ENTRY", "ENTRY", "EXIT"]
    items = [
        movement(direction=d, occurred_at=at(i), traveller=traveller)
        for i, d in enumerate(directions)
    ]
    response = await registry.post(
        "/v1/movements/batch", json={"movements": items}, headers=tokens.terminal
    )
    assert [r["anomalies"] for r in response.json()["results"]] == [
        [], [], ["CONSECUTIVE_EXIT"], [], ["CONSECUTIVE_ENTRY"], ["CONSECUTIVE_ENTRY"], []
    ]  # fmt: skip
    persons = await _persons(registry, tokens, items)
    assert persons == [0] * len(items)


async def _writer_connections(
    engine: AsyncEngine, count: int
) -> tuple[list[Any], list[asyncpg.Connection], Any]:
    maker = async_sessionmaker(engine, expire_on_commit=False)
    async with maker() as session:
        client = await create_client(session, name="Set batch", scopes="movements:write")
        await session.commit()
        CONTROL_POINTS.invalidate()
        await CONTROL_POINTS.refresh_if_stale(session)
    sessions = [maker() for _ in range(count)]
    return sessions, [await driver_connection(s) for s in sessions], client.client_id


async def test_overlapping_batches_of_the_same_travellers_neither_deadlock_nor_split(
    registry_engine: AsyncEngine,
) -> None:
    """Two terminals upload the same 30 frequent travellers at once, and one re-sends
    its batch at the same time: every traveller stays one person, each movement is
    stored once."""
    travellers = [_traveller(88_400 + 10 * i, "known") for i in range(30)]

    def batch(day: int) -> list[MovementIn]:
        return [
            MovementIn.model_validate(
                movement(direction=("ENTRY", "EXIT")[c % 2], occurred_at=at(day + c), traveller=t)
            )
            for c in range(3)
            for t in travellers
        ]

    first, second = batch(0), batch(10)
    sessions, connections, client = await _writer_connections(registry_engine, 3)
    try:
        answers = await asyncio.gather(
            *(
                repository.record(c, b, recorded_by=client, request_id=None)
                for c, b in zip(connections, (first, second, first), strict=True)
            )
        )
    finally:
        for s in sessions:
            await s.commit()
            await s.close()
    created = [sum(r.created for r in a) for a in answers]
    assert created[1] == 90 and created[0] + created[2] == 90, created
    for index in range(30):
        persons = {a[index + 30 * c].person_id for a in answers for c in range(3)}
        assert len(persons) == 1, persons


def _shuffled(base: int, seed: int) -> tuple[list[Item], list[Item]]:
    """Eight travellers, three of them known, crossing 60 times in no particular order:
    late uploads, same-instant crossings and booth typos drawn from a fixed seed."""
    draw = random.Random(seed)
    travellers = [_traveller(base + 10 * i, "known") for i in range(6)]
    travellers += [{**_traveller(base + 10 * i, "tourist"), "national_id": None} for i in (6, 7)]
    before = [movement(occurred_at=at(draw.randrange(40)), traveller=t) for t in travellers[:3]]
    batch = []
    for _ in range(60):
        traveller = dict(draw.choice(travellers))
        if draw.random() < 0.1:
            traveller["given_names"] = "MARIA  JOSÉ" if draw.random() < 0.5 else "ANA"
        batch.append(
            movement(
                direction=draw.choice(["ENTRY", "EXIT"]),
                occurred_at=at(draw.randrange(40), hour=draw.choice([8, 12])),
                traveller=traveller,
            )
        )
    return before, batch


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_a_shuffled_batch_answers_as_posting_one_by_one(
    registry: AsyncClient, tokens: Tokens, seed: int
) -> None:
    before_each, batch_each = _shuffled(88_700 + seed * 1000, seed)
    before_all, batch_all = _shuffled(88_700 + seed * 1000 + 100, seed)
    await _post_each(registry, tokens, before_each)
    one_by_one = await _post_each(registry, tokens, batch_each)
    await _post_each(registry, tokens, before_all)
    response = await registry.post(
        "/v1/movements/batch", json={"movements": batch_all}, headers=tokens.terminal
    )
    assert [r["anomalies"] for r in response.json()["results"]] == one_by_one
    assert await _persons(registry, tokens, before_all + batch_all) == await _persons(
        registry, tokens, before_each + batch_each
    )
