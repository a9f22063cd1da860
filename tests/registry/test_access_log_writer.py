"""The access log's group commit: concurrent reads' rows go in one statement, a bad row
fails alone, and every waiter learns whether its own row was committed."""

from __future__ import annotations

import asyncio
import uuid

from httpx import ASGITransport, AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from services.registry.access_log import writer
from services.registry.app import create_app
from services.registry.clients.service import CreatedClient, create_client
from services.registry.settings import RegistrySettings
from shared.db import SessionConnections, make_sessionmaker


def _connections(registry_connection: AsyncConnection) -> SessionConnections:
    return SessionConnections(
        async_sessionmaker(
            bind=registry_connection, expire_on_commit=False,
            join_transaction_mode="create_savepoint",
        )
    )  # fmt: skip


async def _reader(session: AsyncSession) -> CreatedClient:
    client = await create_client(session, name="group commit", scopes="history:read")
    await session.flush()
    return client


def _entry(client_id: uuid.UUID, n: int) -> writer.Entry:
    return writer.Entry(
        client_id=client_id, action="HISTORY_SEARCH", identity={"national_id": f"17{n:08d}"},
        person_id=None, purpose="CERTIFICATE", reference=f"GROUP-{n}", movement_count=n,
        request_id=f"req-{n}",
    )  # fmt: skip


async def _rows(session: AsyncSession, prefix: str) -> list[tuple[str, str, int, str]]:
    found = await session.execute(
        text(
            "SELECT reference, xmin::text, movement_count, request_id FROM access_log"
            " WHERE reference LIKE :p ORDER BY id"
        ),
        {"p": prefix + "%"},
    )
    return [tuple(row) for row in found.all()]  # type: ignore[misc]


async def test_concurrent_rows_are_committed_together_in_arrival_order(
    registry_connection: AsyncConnection, registry_session: AsyncSession
) -> None:
    client = await _reader(registry_session)
    connections = _connections(registry_connection)
    await asyncio.gather(
        *(writer.append(connections, _entry(client.client_id, n)) for n in range(40))
    )
    rows = await _rows(registry_session, "GROUP-")
    assert [r[0] for r in rows] == [f"GROUP-{n}" for n in range(40)]
    assert [(r[2], r[3]) for r in rows] == [(n, f"req-{n}") for n in range(40)]
    # The first append starts the flush; the other 39 arrive before it runs: one statement,
    # one (sub)transaction.
    assert len({r[1] for r in rows}) == 1
    # Sealed by the trigger like any other row.
    unsealed = await registry_session.scalar(
        text(
            "SELECT count(*) FROM access_log WHERE reference LIKE 'GROUP-%'"
            " AND (content_sha256 IS NULL OR at IS NULL)"
        )
    )
    assert unsealed == 0


async def test_a_row_that_cannot_be_written_fails_alone(
    registry_connection: AsyncConnection, registry_session: AsyncSession
) -> None:
    client = await _reader(registry_session)
    connections = _connections(registry_connection)
    entries = [_entry(client.client_id, n) for n in range(5)]
    entries[2] = _entry(uuid.uuid4(), 2)  # no such client: the foreign key refuses it
    outcomes = await asyncio.gather(
        *(writer.append(connections, e) for e in entries), return_exceptions=True
    )
    assert [o is None for o in outcomes] == [True, True, False, True, True]
    assert "foreign key" in str(outcomes[2])
    rows = await _rows(registry_session, "GROUP-")
    assert [r[0] for r in rows] == ["GROUP-0", "GROUP-1", "GROUP-3", "GROUP-4"]


async def test_a_lost_database_fails_every_waiter(registry_session: AsyncSession) -> None:
    class Unreachable:
        def acquire(self):  # type: ignore[no-untyped-def]
            raise ConnectionRefusedError("database down")

    client = await create_client(registry_session, name="group commit", scopes="history:read")
    outcomes = await asyncio.gather(
        *(writer.append(Unreachable(), _entry(client.client_id, n)) for n in range(3)),
        return_exceptions=True,
    )
    assert all(isinstance(o, ConnectionRefusedError) for o in outcomes)


async def test_concurrent_history_searches_each_answer_after_their_row_is_committed(
    registry_settings: RegistrySettings, registry_engine: AsyncEngine
) -> None:
    """The real app (lifespan, driver pool) on a committed database: every answer's row
    is there, with what that search asked and how many movements it was shown."""
    async with make_sessionmaker(registry_engine)() as session, session.begin():
        reader = await create_client(session, name="group commit app", scopes="history:read")
    tag = uuid.uuid4().hex[:8]
    app = create_app(registry_settings)
    headers = {"Authorization": f"Bearer {reader.token}"}
    body = {"identity": {"national_id": "1710034065"}, "purpose": "CERTIFICATE"}
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://registry.test") as client,
    ):
        answers = await asyncio.gather(*(
            client.post("/v1/history/search", json={**body, "reference": f"{tag}-{n}"},
                        headers=headers)
            for n in range(16)
        ))  # fmt: skip
    assert [a.status_code for a in answers] == [200] * 16
    async with make_sessionmaker(registry_engine)() as session:
        rows = await _rows(session, tag)
        clients = set(
            (await session.execute(
                text("SELECT client_id FROM access_log WHERE reference LIKE :p"),
                {"p": tag + "%"},
            )).scalars()
        )  # fmt: skip
    assert sorted(r[0] for r in rows) == sorted(f"{tag}-{n}" for n in range(16))
    assert clients == {reader.client_id}
    assert {r[2] for r in rows} == {0}  # nobody holds that cédula here: shown nothing
