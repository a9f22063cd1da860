"""Authorisation comes first: the registry's whole route table against every token kind."""

from __future__ import annotations

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.clients.service import SCOPES, create_client
from tests.support.authorization import check_matrix

ANY = frozenset(SCOPES)
EXPECTED = {
    ("GET", "/v1/control-points"): ANY,
    ("POST", "/v1/movements"): frozenset({"movements:write"}),
    ("POST", "/v1/movements/batch"): frozenset({"movements:write"}),
    ("GET", "/v1/movements/{movement_id}"): frozenset({"movements:write", "history:read"}),
    ("POST", "/v1/movements/{movement_id}/annulment"): frozenset({"movements:correct"}),
    ("POST", "/v1/history/search"): frozenset({"history:read"}),
    ("GET", "/v1/persons/{person_id}"): frozenset({"history:read"}),
    ("POST", "/v1/stays/summary"): frozenset({"history:read"}),
    ("POST", "/v1/access-log/search"): frozenset({"audit:read"}),
    ("GET", "/v1/audit/head"): frozenset({"audit:read"}),
    ("GET", "/v1/audit/keys"): None,
    ("GET", "/livez"): None,
    ("GET", "/readyz"): None,
    ("GET", "/metrics"): None,
    ("GET", "/docs"): None,  # Swagger UI, served offline
    ("GET", "/docs/oauth2-redirect"): None,
}


async def test_every_route_checks_the_caller_before_the_request(
    registry: AsyncClient, registry_session: AsyncSession
) -> None:
    app: FastAPI = registry._transport.app  # type: ignore[attr-defined]
    tokens = {}
    for scope in SCOPES:
        created = await create_client(registry_session, name=f"matrix {scope}", scopes=scope)
        tokens[scope] = {"Authorization": f"Bearer {created.token}"}
    await registry_session.commit()
    checked = await check_matrix(app, registry, EXPECTED, tokens)
    assert checked > 500


async def test_a_wrong_method_is_405_not_a_lookup(registry: AsyncClient, tokens) -> None:  # type: ignore[no-untyped-def]
    for headers in ({}, tokens.terminal):
        response = await registry.get("/v1/movements/batch", headers=headers)
        assert response.status_code == 405
        assert response.headers["content-type"] == "application/problem+json"
        assert "POST" in response.headers["allow"]
