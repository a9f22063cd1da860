"""The hot routes skip FastAPI's dependency solver (shared.auth's lean routes), and say
exactly what FastAPI's own handler would have said to every kind of bad body."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker

from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from shared import auth
from tests.conftest import Tokens, _client_for
from tests.support.factories import movement

HOT = {"record_movement", "record_batch", "search_history"}


def _routes(app: FastAPI) -> dict[str, APIRoute]:
    return {
        c.original_route.name: c.original_route
        for c in iter_route_contexts(app.routes)
        if isinstance(c.original_route, APIRoute)
    }


def test_exactly_the_hot_routes_are_lean(registry_settings: RegistrySettings) -> None:
    lean = {name for name, route in _routes(create_app(registry_settings)).items()
            if auth._lean_handler(route) is not None}  # fmt: skip
    assert lean == HOT


@pytest.fixture
async def fastapi_handled(
    registry_settings: RegistrySettings,
    registry_engine: AsyncEngine,
    registry_connection: AsyncConnection,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[AsyncClient]:
    """The same app with no lean routes: every request through FastAPI's handler."""
    monkeypatch.setattr(auth, "LEAN_PROVIDERS", frozenset())
    app = create_app(registry_settings)
    assert not any(auth._lean_handler(r) for r in _routes(app).values())
    app.state.sessionmaker = async_sessionmaker(
        bind=registry_connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    async with await _client_for(app, registry_engine) as client:
        yield client


BAD_BODIES: dict[str, tuple[bytes, dict[str, str]]] = {
    "empty": (b"", {"content-type": "application/json"}),
    "not JSON": (b'{"movement_id": ', {"content-type": "application/json"}),
    "not UTF-8": (b'{"a": "\xff\xfe"}', {"content-type": "application/json"}),
    "text/plain": (b'{"a": 1}', {"content-type": "text/plain"}),
    "no content type": (b'{"a": 1}', {}),
    "a list": (b"[1, 2]", {"content-type": "application/json"}),
    "vnd+json, invalid fields": (
        b'{"movement_id": "x", "direction": "SIDEWAYS"}',
        {"content-type": "application/vnd.api+json"},
    ),
}


@pytest.mark.parametrize("path", ["/v1/movements", "/v1/movements/batch", "/v1/history/search"])
@pytest.mark.parametrize("case", BAD_BODIES, ids=list(BAD_BODIES))
async def test_bad_bodies_get_the_answer_fastapi_would_give(
    registry: AsyncClient, fastapi_handled: AsyncClient, tokens: Tokens, path: str, case: str
) -> None:
    body, headers = BAD_BODIES[case]
    headers = {**headers, **(tokens.terminal if "movements" in path else tokens.reader)}
    lean = await registry.post(path, content=body, headers=headers)
    usual = await fastapi_handled.post(path, content=body, headers=headers)
    assert lean.status_code == usual.status_code == 422, (lean.text, usual.text)
    assert lean.headers["content-type"] == usual.headers["content-type"]
    assert lean.json()["errors"] == usual.json()["errors"]


async def test_a_valid_movement_gets_the_same_answer(
    registry: AsyncClient, fastapi_handled: AsyncClient, tokens: Tokens
) -> None:
    sent = movement()
    created = await registry.post("/v1/movements", json=sent, headers=tokens.terminal)
    assert created.status_code == 201, created.text
    # A retry through each handler: the stored movement, said the same way.
    lean = await registry.post("/v1/movements", json=sent, headers=tokens.terminal)
    usual = await fastapi_handled.post("/v1/movements", json=sent, headers=tokens.terminal)
    assert (lean.status_code, usual.status_code) == (200, 200)
    assert lean.json() == usual.json()
    assert lean.headers["location"] == usual.headers["location"]
