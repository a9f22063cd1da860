"""Every hot statement's plan reaches movements and persons through an index.

A small national-shaped database (``tests/bench/national_data``: COPY, long tail of
frequent travellers, renewals, merged persons) is analysed like production, then the
real endpoints run with ``auto_explain`` logging the plan of every statement they send,
nested ones inside ``record_movement()`` included. Whatever the code path (ORM, Core,
raw asyncpg, PL/pgSQL), a sequential scan of a big table fails here. Structural, not
timed: speed itself lives in ``make bench``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from asyncpg.connection import LoggedQuery
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from services.registry.app import create_app
from services.registry.clients.service import create_client
from services.registry.control_points.catalog import CONTROL_POINTS
from services.registry.settings import RegistrySettings
from shared import migrate
from shared.db import make_engine
from shared.settings import Environment
from tests.bench.national_data import Loaded, generate
from tests.support.factories import at, movement
from tests.support.postgres import scratch_database

BIG_TABLES = {"movements", "persons", "person_identifiers"}
AUTO_EXPLAIN = [
    "SET auto_explain.log_min_duration = 0",
    "SET auto_explain.log_nested_statements = on",
    "SET auto_explain.log_format = json",
    "SET auto_explain.log_level = notice",
]


@pytest.fixture(scope="module")
def national(pg_server: str) -> Iterator[tuple[str, Loaded]]:
    with scratch_database(pg_server, "plans") as url:
        migrate.upgrade("registry", url)

        async def load() -> Loaded:
            loaded = await generate(url, 30_000)
            conn = await asyncpg.connect(url)
            await conn.execute("VACUUM ANALYZE")
            await conn.close()
            return loaded

        yield url, asyncio.run(load())


class Plans:
    """Plans of what the endpoints ran. With ``auto_explain`` (the Docker image, a
    system PostgreSQL) the server logs every executed plan, nested ones included;
    without it (the embedded server ships no contrib modules) the statements sent on the
    connection (by SQLAlchemy and by the hot paths on asyncpg alike) are captured and
    EXPLAINed afterwards with their own parameters."""

    def __init__(self, driver: asyncpg.Connection, engine: AsyncEngine) -> None:
        self.driver = driver
        self.engine = engine
        self.plans: list[dict[str, Any]] = []
        self.captured: list[tuple[str, tuple[Any, ...]]] = []
        self.nested = False

    async def start(self) -> None:
        try:
            await self.driver.execute("LOAD 'auto_explain'")
        except asyncpg.PostgresError:
            self.driver.add_query_logger(self._capture)
            return
        for statement in AUTO_EXPLAIN:
            await self.driver.execute(statement)
        self.driver.add_log_listener(self._listen)
        self.nested = True

    def _listen(self, _connection: object, message: asyncpg.PostgresLogMessage) -> None:
        text = message.message
        if "plan:" in text:
            self.plans.append(json.loads(text[text.index("{") :]))

    def _capture(self, record: LoggedQuery) -> None:
        if record.query.lstrip().upper().startswith(("SELECT", "WITH", "INSERT")):
            self.captured.append((record.query, tuple(record.args or ())))

    def clear(self) -> None:
        self.plans.clear()
        self.captured.clear()

    async def sequential_scans(self) -> list[str]:
        if not self.nested:
            self.driver.remove_query_logger(self._capture)
            for query, args in self.captured:
                explained = await self.driver.fetchval(f"EXPLAIN (FORMAT JSON) {query}", *args)
                plan = explained if isinstance(explained, list) else json.loads(explained)
                self.plans.append({**plan[0], "Query Text": query})
            self.captured.clear()
        found = []

        def walk(node: dict[str, Any], query: str) -> None:
            if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") in BIG_TABLES:
                found.append(f"{node['Relation Name']} in: {' '.join(query.split())[:300]}")
            for child in node.get("Plans", []):
                walk(child, query)

        for plan in self.plans:
            walk(plan["Plan"], plan.get("Query Text", ""))
        return found


@pytest.fixture
async def explained(
    national: tuple[str, Loaded],
) -> AsyncIterator[tuple[AsyncClient, Plans, dict[str, dict[str, str]]]]:
    url, _ = national
    engine = make_engine(url, pool_size=1, application_name="plans")
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        plans = Plans(raw.driver_connection, engine)  # type: ignore[arg-type]
        await plans.start()
        transaction = await connection.begin()
        maker = async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        async with maker() as session:
            writer = await create_client(session, name="plans writer", scopes="movements:write")
            reader = await create_client(session, name="plans reader", scopes="history:read")
            await session.commit()
        app = create_app(RegistrySettings(database_url=url, environment=Environment.TEST))
        app.state.engine = engine
        app.state.sessionmaker = maker
        async with maker() as session:
            CONTROL_POINTS.invalidate()
            await CONTROL_POINTS.refresh_if_stale(session)
        headers = {
            "writer": {"Authorization": f"Bearer {writer.token}"},
            "reader": {"Authorization": f"Bearer {reader.token}"},
        }
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://registry.test") as client:
            plans.clear()
            yield client, plans, headers
        await transaction.rollback()
    await engine.dispose()


def _search(identity: dict[str, str]) -> dict[str, Any]:
    return {"identity": identity, "purpose": "CERTIFICATE", "reference": "PLANS-1"}


async def test_history_and_stays_use_indexes_only(explained: Any, national: Any) -> None:
    client, plans, headers = explained
    loaded: Loaded = national[1]
    identities = [
        {"national_id": loaded.cedulas[0]},
        {"national_id": loaded.frequent[0]},
        dict(
            zip(
                ("document_type", "document_number", "issuing_country"),
                loaded.documents[0],
                strict=True,
            )
        ),
    ]
    for identity in identities:
        answer = await client.post("/v1/history/search", json=_search(identity),
                                   headers=headers["reader"])  # fmt: skip
        assert answer.status_code == 200, answer.text
        assert answer.json()["movements"], identity
        person = await client.get(f"/v1/persons/{answer.json()['person']['person_id']}",
                                  headers=headers["reader"])  # fmt: skip
        assert person.status_code == 200
        stays = await client.post("/v1/stays/summary", json=_search(identity),
                                  headers=headers["reader"])  # fmt: skip
        assert stays.status_code == 200, stays.text
    assert await plans.sequential_scans() == []
    assert len(plans.plans) >= 6


async def test_movement_writes_use_indexes_only(explained: Any, national: Any) -> None:
    client, plans, headers = explained
    loaded: Loaded = national[1]
    known = loaded.frequent[1]
    single = [
        movement(traveller={"national_id": known, "document_number": "PLANS1"}),  # renewal
        movement(traveller={"national_id": None, "document_number": "PLANS2"}),  # a stranger
        movement(occurred_at=at(3), traveller={"national_id": loaded.cedulas[1]}),
    ]
    for body in single:
        answer = await client.post("/v1/movements", json=body, headers=headers["writer"])
        assert answer.status_code == 201, answer.text
        again = await client.get(f"/v1/movements/{body['movement_id']}",
                                 headers=headers["writer"])  # fmt: skip
        assert again.status_code == 200
    batch = [
        movement(
            movement_id=str(uuid4()), occurred_at=at(i),
            traveller={"national_id": loaded.cedulas[2 + i % 20], "document_number": f"PB{i % 20}"},
        )
        for i in range(200)
    ]  # fmt: skip
    answer = await client.post("/v1/movements/batch", json={"movements": batch},
                               headers=headers["writer"])  # fmt: skip
    assert answer.json()["summary"]["created"] == 200
    assert await plans.sequential_scans() == []
    if plans.nested:  # record_movement()'s own statements are seen too
        inner = [p for p in plans.plans if "FROM movements m" in p.get("Query Text", "")]
        assert len(inner) >= 3
    assert len(plans.plans) >= 5
    # The hot statements themselves (sent on asyncpg, not through SQLAlchemy) were seen.
    sent = " ".join(plan.get("Query Text", "") for plan in plans.plans)
    assert "record_movement(" in sent and "record_movements(" in sent
