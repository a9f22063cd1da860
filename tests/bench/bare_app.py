"""The bare reference the benchmarks compare against.

The same request shapes and the same validation as the registry (its own pydantic
models), then one asyncpg statement on a plain table: no identity resolution, no
locks, no triggers, no access log, no idempotency beyond ``ON CONFLICT DO NOTHING``.
Served by the same uvicorn at the same paths, so one wrk script drives both; ratios
against it show what the registry's rules and its stack cost.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from services.registry.control_points.catalog import CONTROL_POINTS
from services.registry.history.schemas import HistorySearch
from services.registry.movements.schemas import MovementIn

SCHEMA = """
CREATE TABLE IF NOT EXISTS bare_movements (
    movement_id uuid PRIMARY KEY, person_key text NOT NULL, occurred_at timestamptz NOT NULL,
    body jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS bare_movements_person ON bare_movements (person_key, occurred_at);
"""
INSERT = "INSERT INTO bare_movements VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT DO NOTHING"
HISTORY = (
    "SELECT coalesce(json_agg(body ORDER BY occurred_at), '[]') FROM ("
    " SELECT body, occurred_at FROM bare_movements WHERE person_key = $1"
    " ORDER BY occurred_at LIMIT $2) page"
)


def _prime_control_points(codes: list[str]) -> None:
    # The registry loads the catalog from its database; the bare side is told the codes.
    CONTROL_POINTS._known = CONTROL_POINTS._active = frozenset(codes)
    CONTROL_POINTS._loaded_at = math.inf


def _row(movement: MovementIn) -> tuple[Any, ...]:
    body = movement.model_dump(mode="json")
    traveller = movement.traveller
    key = traveller.national_id or traveller.document_number
    return movement.movement_id, key, movement.occurred_at, json.dumps(body)


def create_app() -> FastAPI:
    url = os.environ["BARE_DATABASE_URL"]
    _prime_control_points(os.environ.get("BARE_CONTROL_POINTS", "AIR-UIO").split(","))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(url, min_size=10, max_size=10)
        async with app.state.pool.acquire() as conn:
            await conn.execute(SCHEMA)
        yield
        await app.state.pool.close()

    # FastAPI's native OpenTelemetry off, as in the services (shared/web.py telemetry()).
    app = FastAPI(lifespan=lifespan, telemetry={"tracing": False, "metrics": False, "logs": False})

    @app.get("/livez")
    async def livez() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/movements", status_code=201)
    async def insert(request: Request) -> Any:
        try:
            movement = MovementIn.model_validate(await request.json())
        except ValidationError as exc:
            return JSONResponse({"errors": exc.errors(include_url=False)}, status_code=422)
        row = _row(movement)
        await request.app.state.pool.execute(INSERT, *row)
        return json.loads(row[3])

    @app.post("/v1/movements/batch")
    async def insert_many(request: Request) -> dict[str, Any]:
        rows, results = [], []
        for index, item in enumerate((await request.json())["movements"]):
            try:
                rows.append(_row(MovementIn.model_validate(item)))
                results.append({"index": index, "status": "created"})
            except ValidationError as exc:
                results.append({"index": index, "status": "rejected",
                                "errors": exc.errors(include_url=False)})  # fmt: skip
        await request.app.state.pool.executemany(INSERT, rows)
        return {"results": results}

    @app.post("/v1/history/search")
    async def history(request: Request) -> Any:
        try:
            search = HistorySearch.model_validate(await request.json())
        except ValidationError as exc:
            return JSONResponse({"errors": exc.errors(include_url=False)}, status_code=422)
        identity = search.identity
        key = identity.national_id or identity.document_number
        page = await request.app.state.pool.fetchval(HISTORY, key, search.limit)
        return {"person": None, "movements": json.loads(page), "next_cursor": None}

    return app
