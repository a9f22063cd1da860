"""How many SQL statements the hot paths send: one per movement write, one per page.

Structural, not timed: a change that adds a query to the hot path fails here and
has to say why. Counted on both roads to the server: SQLAlchemy's, and the asyncpg
connection itself, where the hottest statements go (so a BEGIN or COMMIT sent there
counts too). Savepoints of the test harness are not counted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from asyncpg.connection import LoggedQuery
from httpx import AsyncClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.conftest import Tokens
from tests.support.factories import a_cedula, at, movement

_HARNESS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@asynccontextmanager
async def counted(connection: AsyncConnection) -> AsyncIterator[list[str]]:
    """Statements sent on the test's connection, which every request of the ``registry``
    fixture shares."""
    statements: list[str] = []

    def keep(statement: str) -> None:
        if not statement.lstrip().upper().startswith(_HARNESS):
            statements.append(" ".join(statement.split())[:80])

    def through_sqlalchemy(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        keep(statement)

    def through_asyncpg(record: LoggedQuery) -> None:
        keep(record.query)

    driver = (await connection.get_raw_connection()).driver_connection
    event.listen(connection.sync_connection, "before_cursor_execute", through_sqlalchemy)
    driver.add_query_logger(through_asyncpg)
    try:
        yield statements
    finally:
        driver.remove_query_logger(through_asyncpg)
        event.remove(connection.sync_connection, "before_cursor_execute", through_sqlalchemy)


async def test_recording_a_movement_is_one_statement_after_auth(
    registry: AsyncClient, tokens: Tokens, registry_connection: AsyncConnection
) -> None:
    # A warm connection and token: the connection's first use of the statement also looks
    # its array types up (once per pooled connection), and the token lookup is cached.
    await registry.post("/v1/movements", json=movement(), headers=tokens.terminal)
    async with counted(registry_connection) as statements:
        response = await registry.post("/v1/movements", json=movement(), headers=tokens.terminal)
    assert response.status_code == 201
    # record_movement(), alone: no BEGIN, no COMMIT, no pre-ping, no token lookup.
    assert len(statements) == 1, statements
    assert statements[0].startswith("SELECT r.created, r.person_id")


async def test_a_batch_of_any_size_is_one_statement(
    registry: AsyncClient, tokens: Tokens, registry_connection: AsyncConnection
) -> None:
    items = [
        movement(
            occurred_at=at(i),
            traveller={"national_id": a_cedula(1300 + i % 7), "document_number": f"RT{i % 7}"},
        )
        for i in range(200)
    ]
    # Warm, as above: the first batch also looks the array types up and the token (two
    # movements: a batch of one is sent as one movement, without the arrays).
    await registry.post("/v1/movements/batch", json={"movements": [movement(), movement()]},
                        headers=tokens.terminal)  # fmt: skip
    async with counted(registry_connection) as statements:
        response = await registry.post(
            "/v1/movements/batch", json={"movements": items}, headers=tokens.terminal
        )
    assert response.json()["summary"]["created"] == 200
    assert len(statements) == 1, statements  # record_movements(): every lock, then all


async def test_a_history_page_is_one_read_and_its_access_log_row_after_auth(
    registry: AsyncClient, tokens: Tokens, registry_connection: AsyncConnection
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
    async with counted(registry_connection) as statements:
        page = (await registry.post("/v1/history/search", json=body, headers=tokens.reader)).json()
    assert len(page["movements"]) == 10 and page["next_cursor"]
    # token, the page (person and movements, read-only), then its access-log row: written
    # by the group commit, which under load puts many searches' rows in one statement.
    assert len(statements) == 3, statements
    assert "INSERT INTO access_log" in statements[2]


async def test_a_stay_summary_is_one_read_and_its_access_log_row_after_auth(
    registry: AsyncClient, tokens: Tokens, registry_connection: AsyncConnection
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
    async with counted(registry_connection) as statements:
        result = await registry.post("/v1/stays/summary", json=body, headers=tokens.reader)
    assert result.json()["status"] == "ABROAD" and len(result.json()["stays"]) == 20
    # token, the summary (person, crossings, last movement; read-only), its access-log row
    assert len(statements) == 3, statements
    assert "INSERT INTO access_log" in statements[2]
