"""How many SQL statements the hot paths send: one per movement write, one per page.

Structural, not timed: a change that adds a query to the hot path fails here and
has to say why. Transaction control (savepoints of the test harness) is not counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from httpx import AsyncClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Tokens
from tests.support.factories import a_cedula, at, movement

_HARNESS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@contextmanager
def counted(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(_HARNESS):
            statements.append(" ".join(statement.split())[:80])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_recording_a_movement_is_one_statement_after_auth(
    registry: AsyncClient, tokens: Tokens, registry_engine: AsyncEngine
) -> None:
    with counted(registry_engine) as statements:
        response = await registry.post("/v1/movements", json=movement(), headers=tokens.terminal)
    assert response.status_code == 201
    assert len(statements) == 2, statements  # the token lookup + record_movement()
    assert statements[1].startswith("SELECT t.ord, r.created")  # the unnest + record_movement()


async def test_a_batch_of_any_size_is_two_statements_after_auth(
    registry: AsyncClient, tokens: Tokens, registry_engine: AsyncEngine
) -> None:
    items = [
        movement(
            occurred_at=at(i),
            traveller={"national_id": a_cedula(1300 + i % 7), "document_number": f"RT{i % 7}"},
        )
        for i in range(200)
    ]
    with counted(registry_engine) as statements:
        response = await registry.post(
            "/v1/movements/batch", json={"movements": items}, headers=tokens.terminal
        )
    assert response.json()["summary"]["created"] == 200
    assert len(statements) == 3, statements  # token + lock every key + record all


async def test_a_history_page_is_one_statement_after_auth(
    registry: AsyncClient, tokens: Tokens, registry_engine: AsyncEngine
) -> None:
    cedula = a_cedula(1310)
    items = [
        movement(occurred_at=at(i), traveller={"national_id": cedula, "document_number": "RT1310"})
        for i in range(30)
    ]
    await registry.post("/v1/movements/batch", json={"movements": items}, headers=tokens.terminal)
    body = {
        "identity": {"national_id": cedula},
        "purpose": "CERTIFICATE",
        "reference": "R",
        "limit": 10,
    }
    with counted(registry_engine) as statements:
        page = (await registry.post("/v1/history/search", json=body, headers=tokens.reader)).json()
    assert len(page["movements"]) == 10 and page["next_cursor"]
    assert len(statements) == 2, statements  # token + the page (person, movements, access log)


async def test_a_stay_summary_is_one_statement_after_auth(
    registry: AsyncClient, tokens: Tokens, registry_engine: AsyncEngine
) -> None:
    cedula = a_cedula(1320)
    items = [
        movement(
            direction="ENTRY" if i % 2 == 0 else "EXIT",
            occurred_at=at(i),
            traveller={"national_id": cedula, "document_number": "RT1320"},
        )
        for i in range(40)
    ]
    await registry.post("/v1/movements/batch", json={"movements": items}, headers=tokens.terminal)
    body = {"identity": {"national_id": cedula}, "purpose": "CERTIFICATE", "reference": "R"}
    with counted(registry_engine) as statements:
        result = await registry.post("/v1/stays/summary", json=body, headers=tokens.reader)
    assert result.json()["status"] == "ABROAD" and len(result.json()["stays"]) == 20
    assert len(statements) == 2, statements  # token + the summary (person, crossings, log)
