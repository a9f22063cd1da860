"""Bad input gets a clear 4xx, never a 500, and never reaches the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient

from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from shared.settings import Environment
from tests.support.factories import movement


def _codes(response: Any) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


@pytest.mark.parametrize(
    "field, value",
    [
        ("surnames", "PEREZ\u0000GOMEZ"),  # NUL: PostgreSQL cannot store it
        ("given_names", "MARIA\u0001JOSE"),  # another control character
        ("surnames", "PEREZ\u202eZEMOG"),  # right-to-left override
        ("given_names", "MARIA\u200bJOSE"),  # zero-width space
    ],
)
async def test_names_refuse_invisible_and_control_characters(
    registry: AsyncClient, tokens: Any, field: str, value: str
) -> None:
    body = movement(traveller={field: value})
    response = await registry.post("/v1/movements", json=body, headers=tokens.terminal)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert {"code": "INVALID_CHARACTERS", "field": f"traveller.{field}"} == {
        k: errors[0][k] for k in ("code", "field")
    }


async def test_free_text_keeps_line_breaks_but_not_nul(registry: AsyncClient, tokens: Any) -> None:
    fine = movement(observations="Viaja con\nmascota")
    assert (
        await registry.post("/v1/movements", json=fine, headers=tokens.terminal)
    ).status_code == 201
    bad = movement(observations="nota\u0000oculta")
    response = await registry.post("/v1/movements", json=bad, headers=tokens.terminal)
    assert (response.status_code, _codes(response)) == (422, ["INVALID_CHARACTERS"])


async def test_dates_are_dates_and_plausible(registry: AsyncClient, tokens: Any) -> None:
    too_old = movement(traveller={"birth_date": "1899-12-31"})
    response = await registry.post("/v1/movements", json=too_old, headers=tokens.terminal)
    assert (response.status_code, _codes(response)) == (422, ["BIRTH_DATE_BEFORE_1900"])

    number = movement(traveller={"birth_date": 0})
    response = await registry.post("/v1/movements", json=number, headers=tokens.terminal)
    assert (response.status_code, _codes(response)) == (422, ["DATE_INVALID"])

    search = {
        "identity": {"national_id": "1710034065"},
        "to": 0,
        "purpose": "CERTIFICATE",
        "reference": "X-1",
    }
    response = await registry.post("/v1/history/search", json=search, headers=tokens.reader)
    assert (response.status_code, _codes(response)) == (422, ["DATE_INVALID"])


async def test_a_body_that_is_not_utf8_is_a_422(registry: AsyncClient, tokens: Any) -> None:
    response = await registry.post(
        "/v1/movements",
        content=b'{"movement_id": "\x85"}',
        headers={**tokens.terminal, "Content-Type": "application/json"},
    )
    assert (response.status_code, _codes(response)) == (422, ["MALFORMED_BODY"])
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_oversized_body_is_413_with_or_without_a_length(
    registry: AsyncClient, tokens: Any
) -> None:
    big = b'{"movements": [' + b'{"x": 1},' * 600_000 + b"{}]}"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked upload
        for start in range(0, len(big), 65_536):
            yield big[start : start + 65_536]

    headers = {**tokens.terminal, "Content-Type": "application/json"}
    declared = await registry.post("/v1/movements/batch", content=big, headers=headers)
    streamed = await registry.post("/v1/movements/batch", content=chunks(), headers=headers)
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"


async def test_an_unreachable_database_is_a_503_with_retry_after() -> None:
    # Nothing listens on port 1: every connection attempt is refused at once.
    settings = RegistrySettings(
        database_url="postgresql://registry@127.0.0.1:1/registry", environment=Environment.TEST
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://registry.test") as client,
    ):
        response = await client.post(
            "/v1/movements", json=movement(), headers={"Authorization": "Bearer reg_x"}
        )
        ready = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    assert ready.status_code == 503


async def test_an_unexpected_error_is_answered_not_raised(registry: AsyncClient) -> None:
    """The server never sees the exception, so it keeps the connection open; the caller
    gets a problem+json 500 with the request id to quote."""
    app = registry._transport.app  # type: ignore[attr-defined]

    async def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/test-only/broken", broken)
    # ASGITransport re-raises anything the app lets escape: this would fail if it did.
    response = await registry.get("/test-only/broken", headers={"X-Request-ID": "req-123"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "req-123"
    assert "Traceback" not in response.text


async def test_per_token_limit(registry_settings: RegistrySettings, registry_engine: Any) -> None:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from services.registry.clients.service import create_client

    app = create_app(registry_settings.model_copy(update={"rate_limit_per_token": "5/minute"}))
    app.state.engine = registry_engine
    app.state.sessionmaker = async_sessionmaker(registry_engine, expire_on_commit=False)
    async with app.state.sessionmaker() as session, session.begin():
        token = (await create_client(session, name="burst", scopes="history:read")).token
    headers = {"Authorization": f"Bearer {token}"}
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://r") as client:
        statuses = [
            (await client.get("/v1/control-points", headers=headers)).status_code for _ in range(7)
        ]
        refused = await client.get("/v1/control-points", headers=headers)
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) >= 1
