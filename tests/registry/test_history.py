"""POST /v1/history/search, GET /v1/persons: identity resolution, pages, access log."""

from __future__ import annotations

import uuid

from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Tokens
from tests.support.factories import a_cedula, at, movement


async def record(client: AsyncClient, tokens: Tokens, **kw) -> dict:
    response = await client.post("/v1/movements", json=movement(**kw), headers=tokens.terminal)
    assert response.status_code == 201, response.text
    return response.json()


async def search(client: AsyncClient, tokens: Tokens, identity: dict, **kw) -> dict:
    body = {"identity": identity, "purpose": "CERTIFICATE", "reference": "FGE-FPP-2025-001234-O"}
    body.update(kw)
    response = await client.post("/v1/history/search", json=body, headers=tokens.reader)
    assert response.status_code == 200, response.text
    return response.json()


def passport(number: str, country: str = "ECU") -> dict:
    return {"document_type": "PASSPORT", "document_number": number, "issuing_country": country}


async def test_history_is_oldest_first_with_the_person(
    registry: AsyncClient, tokens: Tokens
) -> None:
    cedula = a_cedula(701)
    t = {"national_id": cedula, "document_number": "H701"}
    await record(registry, tokens, direction="EXIT", occurred_at=at(30), traveller=t)
    await record(registry, tokens, direction="ENTRY", occurred_at=at(10), traveller=t)
    page = await search(registry, tokens, {"national_id": cedula})
    assert [m["direction"] for m in page["movements"]] == ["ENTRY", "EXIT"]
    person = page["person"]
    assert person["national_id"] == cedula
    assert person["surnames"] == "PEREZ GOMEZ" and person["sex"] == "F"
    assert person["documents"] == [passport("H701")]
    assert page["next_cursor"] is None


async def test_unknown_person_is_not_an_error(registry: AsyncClient, tokens: Tokens) -> None:
    page = await search(registry, tokens, {"national_id": a_cedula(702)})
    assert page == {"person": None, "movements": [], "next_cursor": None}


async def test_any_document_finds_all_movements_across_renewals_and_nationalities(
    registry: AsyncClient, tokens: Tokens
) -> None:
    """Old passport, renewed passport and a Colombian passport, all tied by the cédula."""
    cedula = a_cedula(703)
    await record(
        registry,
        tokens,
        occurred_at=at(1),
        traveller={"national_id": cedula, "document_number": "OLD703"},
    )
    await record(
        registry,
        tokens,
        direction="EXIT",
        occurred_at=at(2),
        traveller={"national_id": cedula, "document_number": "NEW703"},
    )
    await record(
        registry, tokens, occurred_at=at(3),
        traveller={"national_id": cedula, "document_number": "CO703", "issuing_country": "COL", "nationality": "COL"},
    )  # fmt: skip
    for identity in (
        {"national_id": cedula},
        passport("OLD703"),
        passport("NEW703"),
        passport("CO703", "COL"),
    ):
        page = await search(registry, tokens, identity)
        assert len(page["movements"]) == 3, identity
    assert {d["document_number"] for d in page["person"]["documents"]} == {
        "OLD703",
        "NEW703",
        "CO703",
    }


async def test_a_document_first_seen_alone_is_merged_when_a_cedula_arrives(
    registry: AsyncClient, tokens: Tokens
) -> None:
    cedula = a_cedula(704)
    # A foreign terminal only saw the passport; later the same passport came with the cédula.
    alone = await record(
        registry,
        tokens,
        occurred_at=at(1),
        traveller={"national_id": None, "document_number": "M704"},
    )
    both = await record(
        registry, tokens, direction="EXIT", occurred_at=at(2),
        traveller={"national_id": cedula, "document_number": "M704"},
    )  # fmt: skip
    other_passport = await record(
        registry,
        tokens,
        occurred_at=at(3),
        traveller={"national_id": cedula, "document_number": "N704"},
    )
    assert alone["person_id"] == both["person_id"] == other_passport["person_id"]
    page = await search(registry, tokens, passport("N704"))
    assert len(page["movements"]) == 3


async def test_two_persons_known_by_documents_merge_when_a_movement_links_them(
    registry: AsyncClient, tokens: Tokens
) -> None:
    cedula = a_cedula(705)
    first = await record(
        registry,
        tokens,
        occurred_at=at(1),
        traveller={"national_id": cedula, "document_number": "A705"},
    )
    lone = await record(
        registry,
        tokens,
        direction="EXIT",
        occurred_at=at(2),
        traveller={"national_id": None, "document_number": "B705"},
    )
    assert first["person_id"] != lone["person_id"]
    await record(
        registry,
        tokens,
        occurred_at=at(3),
        traveller={"national_id": cedula, "document_number": "B705"},
    )
    page = await search(registry, tokens, passport("B705"))
    assert len(page["movements"]) == 3
    assert {m["person_id"] for m in page["movements"]} == {first["person_id"]}
    # The merged person's old id still answers, with the surviving person.
    merged = await registry.get(f"/v1/persons/{lone['person_id']}", headers=tokens.reader)
    assert merged.json()["person_id"] == first["person_id"]


async def test_two_cedulas_are_never_merged(registry: AsyncClient, tokens: Tokens) -> None:
    a, b = a_cedula(706), a_cedula(707)
    await record(
        registry, tokens, occurred_at=at(1), traveller={"national_id": a, "document_number": "S706"}
    )
    flagged = await record(
        registry, tokens, occurred_at=at(2), traveller={"national_id": b, "document_number": "S706"}
    )
    assert "DOCUMENT_HELD_BY_OTHER_PERSON" in flagged["anomalies"]
    assert len((await search(registry, tokens, {"national_id": a}))["movements"]) == 1
    assert len((await search(registry, tokens, {"national_id": b}))["movements"]) == 1


async def test_same_number_in_another_country_is_another_document(
    registry: AsyncClient, tokens: Tokens
) -> None:
    await record(registry, tokens, traveller={"national_id": None, "document_number": "X708"})
    page = await search(registry, tokens, passport("X708", "PER"))
    assert page["person"] is None


async def test_period_is_inclusive_in_ecuador_dates(registry: AsyncClient, tokens: Tokens) -> None:
    cedula = a_cedula(709)
    t = {"national_id": cedula, "document_number": "D709"}
    # 2025-01-31 23:30 in Ecuador is already 2025-02-01 in UTC.
    await record(registry, tokens, occurred_at="2025-01-31T23:30:00-05:00", traveller=t)
    await record(
        registry, tokens, direction="EXIT", occurred_at="2025-02-01T00:30:00-05:00", traveller=t
    )
    january = await search(
        registry, tokens, {"national_id": cedula}, **{"from": "2025-01-01", "to": "2025-01-31"}
    )
    february = await search(registry, tokens, {"national_id": cedula}, **{"from": "2025-02-01"})
    assert [m["direction"] for m in january["movements"]] == ["ENTRY"]
    assert [m["direction"] for m in february["movements"]] == ["EXIT"]


async def test_keyset_pages_cover_everything_once(registry: AsyncClient, tokens: Tokens) -> None:
    cedula = a_cedula(710)
    items = [
        movement(
            direction="ENTRY" if i % 2 == 0 else "EXIT",
            occurred_at=at(i // 3),  # several movements share a timestamp: the id breaks ties
            traveller={"national_id": cedula, "document_number": "K710"},
        )
        for i in range(23)
    ]
    await registry.post("/v1/movements/batch", json={"movements": items}, headers=tokens.terminal)
    seen, cursor, pages = [], None, 0
    while True:
        page = await search(registry, tokens, {"national_id": cedula}, limit=5, cursor=cursor)
        seen += [m["movement_id"] for m in page["movements"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 5
    assert sorted(seen) == sorted(i["movement_id"] for i in items)
    assert len(seen) == len(set(seen))


async def test_bad_cursor_and_bad_identity_are_422(registry: AsyncClient, tokens: Tokens) -> None:
    base = {"purpose": "CERTIFICATE", "reference": "R-1"}
    cases = [
        ({"identity": {"national_id": "1710034065"}, "cursor": "garbage!!"}, "CURSOR_INVALID"),
        ({"identity": {"national_id": "1710034066"}}, "NATIONAL_ID_INVALID"),
        (
            {"identity": {"document_type": "PASSPORT", "document_number": "A1"}},
            "IDENTITY_FORM_INVALID",
        ),
        ({"identity": {**passport("A1", "XXX")}}, "COUNTRY_INVALID"),
        (
            {"identity": {"national_id": "1710034065"}, "from": "2025-02-01", "to": "2025-01-01"},
            "PERIOD_INVALID",
        ),
        ({"identity": {"national_id": "1710034065"}, "reference": ""}, "STRING_TOO_SHORT"),
        ({"identity": {"national_id": "1710034065"}, "limit": 5000}, "LESS_THAN_EQUAL"),
    ]
    for body, code in cases:
        response = await registry.post(
            "/v1/history/search", json={**base, **body}, headers=tokens.reader
        )
        assert response.status_code == 422, body
        assert code in {e["code"] for e in response.json()["errors"]}, (body, response.json())
    missing_reference = {"identity": {"national_id": "1710034065"}, "purpose": "CERTIFICATE"}
    response = await registry.post(
        "/v1/history/search", json=missing_reference, headers=tokens.reader
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reference"


async def test_every_search_is_in_the_access_log(
    registry: AsyncClient, tokens: Tokens, registry_session: AsyncSession
) -> None:
    cedula = a_cedula(711)
    await record(registry, tokens, traveller={"national_id": cedula, "document_number": "L711"})
    response = await registry.post(
        "/v1/history/search",
        json={
            "identity": {"national_id": cedula},
            "purpose": "CERTIFICATE",
            "reference": "FGE-FPP-2025-000711-O",
        },
        headers={**tokens.reader, "X-Request-ID": "trace-711"},
    )
    assert response.headers["x-request-id"] == "trace-711"
    await search(registry, tokens, {"national_id": a_cedula(712)})  # unknown person: logged too
    rows = (
        await registry_session.execute(
            text(
                "SELECT l.action, l.identity, l.purpose, l.reference, l.movement_count, l.request_id,"
                " c.name FROM access_log l JOIN api_clients c ON c.id = l.client_id"
                " WHERE l.action = 'HISTORY_SEARCH' ORDER BY l.id"
            )
        )
    ).all()
    assert rows[-2] == (
        "HISTORY_SEARCH", {"national_id": cedula}, "CERTIFICATE", "FGE-FPP-2025-000711-O", 1,
        "trace-711", "Emisor de certificados",
    )  # fmt: skip
    assert rows[-1].movement_count == 0


async def test_reads_of_single_movements_and_persons_are_logged(
    registry: AsyncClient, tokens: Tokens, registry_session: AsyncSession
) -> None:
    stored = await record(
        registry, tokens, traveller={"national_id": a_cedula(713), "document_number": "L713"}
    )
    await registry.get(f"/v1/movements/{stored['movement_id']}", headers=tokens.reader)
    await registry.get(f"/v1/persons/{stored['person_id']}", headers=tokens.reader)
    actions = (
        await registry_session.scalars(
            text("SELECT action FROM access_log ORDER BY id DESC LIMIT 2")
        )
    ).all()
    assert actions == ["PERSON_READ", "MOVEMENT_READ"]


async def test_history_needs_read_scope(registry: AsyncClient, tokens: Tokens) -> None:
    body = {"identity": {"national_id": "1710034065"}, "purpose": "CERTIFICATE", "reference": "R"}
    response = await registry.post("/v1/history/search", json=body, headers=tokens.terminal)
    assert response.status_code == 403
    person = await registry.get(f"/v1/persons/{uuid.uuid4()}", headers=tokens.reader)
    assert person.status_code == 404


async def test_annulled_movements_stay_in_history_with_their_annulment(
    registry: AsyncClient, tokens: Tokens
) -> None:
    cedula = a_cedula(714)
    stored = await record(
        registry, tokens, traveller={"national_id": cedula, "document_number": "Z714"}
    )
    path = f"/v1/movements/{stored['movement_id']}/annulment"
    body = {"reason": "Registro duplicado por error del operador", "reference": "MEMO-2025-77"}
    first = await registry.post(path, json=body, headers=tokens.supervisor)
    assert first.status_code == 200
    annulment = first.json()["annulment"]
    assert annulment["reason"] == body["reason"] and annulment["annulled_by"] == "Supervisor"
    assert (await registry.post(path, json=body, headers=tokens.supervisor)).status_code == 409
    assert (await registry.post(path, json=body, headers=tokens.terminal)).status_code == 403
    missing = f"/v1/movements/{uuid.uuid4()}/annulment"
    assert (await registry.post(missing, json=body, headers=tokens.supervisor)).status_code == 404
    page = await search(registry, tokens, {"national_id": cedula})
    assert page["movements"][0]["annulment"]["reference"] == "MEMO-2025-77"


async def test_a_decodable_cursor_with_foreign_contents_is_422(
    registry: AsyncClient, tokens: Tokens
) -> None:
    from shared.pagination import encode_cursor

    body = {
        "identity": {"national_id": "1710034065"}, "purpose": "CERTIFICATE", "reference": "R",
        "cursor": encode_cursor({"t": "not a time", "id": "x"}),
    }  # fmt: skip
    response = await registry.post("/v1/history/search", json=body, headers=tokens.reader)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "CURSOR_INVALID"
