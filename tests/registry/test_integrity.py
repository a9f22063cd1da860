"""What the database itself guarantees: append-only history, one row per movement."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared.identity import national_key
from tests.conftest import Tokens
from tests.support.factories import a_cedula, at, movement


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE movements SET observations = 'rewritten'",
        "DELETE FROM movements",
        "TRUNCATE movements CASCADE",
        "UPDATE annulments SET reason = 'rewritten'",
        "DELETE FROM annulments",
        "UPDATE access_log SET purpose = 'rewritten'",
        "DELETE FROM access_log",
        "TRUNCATE access_log",
    ],
)
async def test_history_cannot_be_rewritten(
    registry: AsyncClient, tokens: Tokens, registry_session: AsyncSession, statement: str
) -> None:
    stored = (await registry.post("/v1/movements", json=movement(), headers=tokens.terminal)).json()
    await registry.post(
        f"/v1/movements/{stored['movement_id']}/annulment",
        json={"reason": "prueba de inmutabilidad"},
        headers=tokens.supervisor,
    )
    await registry.get(f"/v1/movements/{stored['movement_id']}", headers=tokens.reader)
    # The service's own role is refused by its grants; the owner by the triggers
    # (tests/registry/test_least_privilege.py).
    with pytest.raises(DBAPIError, match="permission denied"):
        async with registry_session.begin_nested():
            await registry_session.execute(text(statement))


async def test_fifty_concurrent_posts_of_one_movement_store_one_row(
    registry_committing: AsyncClient, committed_tokens: Tokens, registry_engine: AsyncEngine
) -> None:
    body = movement(traveller={"national_id": a_cedula(801), "document_number": "CC801"})

    async def post() -> int:
        response = await registry_committing.post(
            "/v1/movements", json=body, headers=committed_tokens.terminal
        )
        return response.status_code

    statuses = await asyncio.gather(*(post() for _ in range(50)))
    assert sorted(set(statuses)) in ([200, 201], [201])
    assert statuses.count(201) == 1
    async with registry_engine.connect() as conn:
        rows = await conn.scalar(
            text("SELECT count(*) FROM movements WHERE movement_id = :id"),
            {"id": body["movement_id"]},
        )
        persons = await conn.scalar(
            text(
                "SELECT count(DISTINCT p.canonical_id) FROM person_identifiers i"
                " JOIN persons p ON p.id = i.person_id WHERE i.identifier = :ci"
            ),
            {"ci": national_key(a_cedula(801))},
        )
    assert (rows, persons) == (1, 1)


async def test_concurrent_first_movements_of_one_person_create_one_person(
    registry_committing: AsyncClient, committed_tokens: Tokens
) -> None:
    cedula = a_cedula(802)
    bodies = [
        movement(
            occurred_at=at(i), traveller={"national_id": cedula, "document_number": f"P802{i % 3}"}
        )
        for i in range(20)
    ]
    responses = await asyncio.gather(
        *(
            registry_committing.post("/v1/movements", json=b, headers=committed_tokens.terminal)
            for b in bodies
        )
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["person_id"] for r in responses}) == 1


async def test_concurrent_overlapping_batches_do_not_deadlock(
    registry_committing: AsyncClient, committed_tokens: Tokens
) -> None:
    """Two land posts upload batches about the same travellers in opposite orders."""
    travellers = [
        {"national_id": a_cedula(900 + i), "document_number": f"DL{i}"} for i in range(10)
    ]
    forward = [movement(occurred_at=at(i), traveller=t) for i, t in enumerate(travellers)]
    backward = [
        movement(occurred_at=at(100 + i), traveller=t) for i, t in enumerate(reversed(travellers))
    ]
    responses = await asyncio.gather(
        *(
            registry_committing.post(
                "/v1/movements/batch", json={"movements": items}, headers=committed_tokens.terminal
            )
            for items in (forward, backward, forward, backward)
        )
    )
    assert [r.status_code for r in responses] == [200, 200, 200, 200]
    created = sum(r.json()["summary"]["created"] for r in responses)
    duplicates = sum(r.json()["summary"]["duplicate"] for r in responses)
    assert (created, duplicates) == (20, 20)


async def test_unknown_movement_id_is_a_uuid_in_the_path(
    registry: AsyncClient, tokens: Tokens
) -> None:
    response = await registry.get("/v1/movements/not-a-uuid", headers=tokens.reader)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "path.movement_id"
    assert (
        await registry.get(f"/v1/movements/{uuid.uuid4()}", headers=tokens.reader)
    ).status_code == 404
