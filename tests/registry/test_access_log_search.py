"""Who consulted me (issue 9, item 4): every read of a person's data, newest first,
with who, why and under which reference; the search itself is logged."""

from __future__ import annotations

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.clients.service import create_client
from tests.conftest import Tokens
from tests.issuer.helpers import fresh_cedula
from tests.support.factories import movement


@pytest.fixture
async def auditor(registry_session: AsyncSession) -> dict[str, str]:
    created = await create_client(registry_session, name="Delegado de datos", scopes="audit:read")
    return {"Authorization": f"Bearer {created.token}"}


async def test_every_read_of_a_person_is_listed_newest_first(
    registry: AsyncClient, tokens: Tokens, auditor: dict[str, str]
) -> None:
    cedula = fresh_cedula()
    posted = await registry.post(
        "/v1/movements",
        json=movement(traveller={"national_id": cedula, "document_number": f"AL{cedula}"}),
        headers=tokens.terminal,
    )
    stored = posted.json()
    search = {"identity": {"national_id": cedula}, "purpose": "CERTIFICATE"}
    await registry.post(
        "/v1/history/search",
        json={**search, "reference": "FGE-FPP-2025-000001-O", "on_behalf_of": "Fiscalía 1"},
        headers=tokens.reader,
    )
    await registry.get(f"/v1/movements/{stored['movement_id']}", headers=tokens.reader)
    await registry.get(f"/v1/persons/{stored['person_id']}", headers=tokens.reader)
    # Someone else's history is not listed.
    await registry.post(
        "/v1/history/search",
        json={**search, "identity": {"national_id": fresh_cedula()}, "reference": "X-1"},
        headers=tokens.reader,
    )

    query = {"identity": {"national_id": cedula}}
    response = await registry.post("/v1/access-log/search", json=query, headers=auditor)

    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [i["endpoint"] for i in items] == [
        "GET /v1/persons/{person_id}",
        "GET /v1/movements/{movement_id}",
        "POST /v1/history/search",
    ]
    history = items[-1]
    assert history["client"] == "Emisor de certificados"
    assert history["purpose"] == "CERTIFICATE"
    assert history["reference"] == "FGE-FPP-2025-000001-O"
    assert history["on_behalf_of"] == "Fiscalía 1"
    assert history["movement_count"] == 1
    assert history["request_id"]
    assert set(history) == {
        "at", "client", "endpoint", "purpose", "reference", "movement_count", "request_id",
        "on_behalf_of",
    }  # fmt: skip
    assert [i["at"] for i in items] == sorted((i["at"] for i in items), reverse=True)

    # The search itself was a read of the person's data: the next one shows it.
    again = (await registry.post("/v1/access-log/search", json=query, headers=auditor)).json()
    assert again["items"][0]["endpoint"] == "POST /v1/access-log/search"
    assert again["items"][0]["client"] == "Delegado de datos"


async def test_pages_with_a_keyset_cursor_and_dates(
    registry: AsyncClient, tokens: Tokens, auditor: dict[str, str]
) -> None:
    cedula = fresh_cedula()
    await registry.post(
        "/v1/movements",
        json=movement(traveller={"national_id": cedula, "document_number": f"AL{cedula}"}),
        headers=tokens.terminal,
    )
    for n in range(3):
        body = {
            "identity": {"national_id": cedula},
            "purpose": "CERTIFICATE",
            "reference": f"REF-{n}",
        }
        await registry.post("/v1/history/search", json=body, headers=tokens.reader)

    seen: list[str] = []
    cursor = None
    for _ in range(5):
        body = {"identity": {"national_id": cedula}, "limit": 2, "cursor": cursor}
        page = (await registry.post("/v1/access-log/search", json=body, headers=auditor)).json()
        seen += [i["reference"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen[:3] == ["REF-2", "REF-1", "REF-0"]

    far_past = {"identity": {"national_id": cedula}, "from": "2001-01-01", "to": "2001-12-31"}
    answer = await registry.post("/v1/access-log/search", json=far_past, headers=auditor)
    assert answer.json()["items"] == []


async def test_a_read_before_the_person_existed_is_listed_too(
    registry: AsyncClient, tokens: Tokens, auditor: dict[str, str]
) -> None:
    cedula = fresh_cedula()
    body = {"identity": {"national_id": cedula}, "purpose": "CERTIFICATE", "reference": "EARLY"}
    await registry.post("/v1/history/search", json=body, headers=tokens.reader)
    query = {"identity": {"national_id": cedula}}
    items = (await registry.post("/v1/access-log/search", json=query, headers=auditor)).json()
    assert [i["reference"] for i in items["items"]] == ["EARLY"]


async def test_needs_the_audit_scope_and_a_valid_body(
    registry: AsyncClient, tokens: Tokens, auditor: dict[str, str]
) -> None:
    query = {"identity": {"national_id": fresh_cedula()}}
    assert (await registry.post("/v1/access-log/search", json=query)).status_code == 401
    denied = await registry.post("/v1/access-log/search", json=query, headers=tokens.reader)
    assert denied.status_code == 403
    bad = await registry.post(
        "/v1/access-log/search", json={**query, "limit": 0, "extra": 1}, headers=auditor
    )
    assert bad.status_code == 422
    cursor = await registry.post(
        "/v1/access-log/search", json={**query, "cursor": "nope"}, headers=auditor
    )
    assert cursor.status_code == 422
