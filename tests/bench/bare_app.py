"""The bare reference the benchmarks compare against.

The cheapest honest way to durably store and read the same JSON over HTTP:
FastAPI parsing into a dict (no validation), one asyncpg statement on a plain
table (no identity resolution, no locks, no triggers, no idempotency), served by
the same uvicorn. Ratios against it show what the registry's rules cost.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, Request

SCHEMA = """
CREATE TABLE IF NOT EXISTS bare_movements (
    movement_id uuid PRIMARY KEY, person_key text NOT NULL, occurred_at timestamptz NOT NULL,
    body jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS bare_movements_person ON bare_movements (person_key, occurred_at);
"""


def create_app() -> FastAPI:
    url = os.environ["BARE_DATABASE_URL"]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(url, min_size=2, max_size=10)
        async with app.state.pool.acquire() as conn:
            await conn.execute(SCHEMA)
        yield
        await app.state.pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/movements", status_code=201)
    async def insert(request: Request) -> dict[str, Any]:
        body = await request.json()
        await request.app.state.pool.execute(
            "INSERT INTO bare_movements VALUES ($1, $2, $3::timestamptz, $4::jsonb)"
            " ON CONFLICT DO NOTHING",
            body["movement_id"], body["traveller"]["document_number"],
            _ts(body["occurred_at"]), json.dumps(body),
        )  # fmt: skip
        return dict(body)

    @app.post("/movements/batch")
    async def insert_many(request: Request) -> dict[str, int]:
        items = (await request.json())["movements"]
        await request.app.state.pool.executemany(
            "INSERT INTO bare_movements VALUES ($1, $2, $3::timestamptz, $4::jsonb)"
            " ON CONFLICT DO NOTHING",
            [(i["movement_id"], i["traveller"]["document_number"], _ts(i["occurred_at"]),
              json.dumps(i)) for i in items],
        )  # fmt: skip
        return {"stored": len(items)}

    @app.post("/history")
    async def history(request: Request) -> dict[str, Any]:
        key = (await request.json())["document_number"]
        rows = await request.app.state.pool.fetch(
            "SELECT body FROM bare_movements WHERE person_key = $1 ORDER BY occurred_at LIMIT 500",
            key,
        )
        return {"movements": [json.loads(r["body"]) for r in rows]}

    return app


def _ts(value: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(value)
