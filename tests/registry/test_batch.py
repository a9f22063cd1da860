"""POST /v1/movements/batch: each item judged alone, nothing valid dropped."""

from __future__ import annotations

from httpx import AsyncClient

from tests.conftest import Tokens
from tests.support.factories import a_cedula, at, movement


async def test_valid_items_are_stored_even_when_others_are_rejected(
    registry: AsyncClient, tokens: Tokens
) -> None:
    traveller = {"national_id": a_cedula(601), "document_number": "B601"}
    good_1 = movement(occurred_at=at(1), traveller=traveller)
    bad = movement(control_point="NOWHERE", traveller={"national_id": "1234567890"})
    good_2 = movement(direction="EXIT", occurred_at=at(2), traveller=traveller)
    response = await registry.post(
        "/v1/movements/batch", json={"movements": [good_1, bad, good_2]}, headers=tokens.terminal
    )
    assert response.status_code == 200
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["created", "rejected", "created"]
    assert [r["index"] for r in body["results"]] == [0, 1, 2]
    assert body["summary"] == {"created": 2, "duplicate": 0, "conflict": 0, "rejected": 1}
    rejected = body["results"][1]
    assert rejected["movement_id"] == bad["movement_id"]
    assert {e["code"] for e in rejected["errors"]} == {
        "CONTROL_POINT_UNKNOWN",
        "NATIONAL_ID_INVALID",
    }
    for item in (good_1, good_2):
        stored = await registry.get(f"/v1/movements/{item['movement_id']}", headers=tokens.terminal)
        assert stored.status_code == 200


async def test_resending_a_batch_reports_duplicates_and_conflicts(
    registry: AsyncClient, tokens: Tokens
) -> None:
    items = [movement(occurred_at=at(i)) for i in range(3)]
    first = await registry.post(
        "/v1/movements/batch", json={"movements": items}, headers=tokens.terminal
    )
    assert first.json()["summary"]["created"] == 3
    changed = [items[0], items[1], {**items[2], "observations": "otra cosa"}]
    again = await registry.post(
        "/v1/movements/batch", json={"movements": changed}, headers=tokens.terminal
    )
    assert [r["status"] for r in again.json()["results"]] == ["duplicate", "duplicate", "conflict"]
    assert again.json()["results"][2]["errors"][0]["code"] == "MOVEMENT_ID_CONFLICT"


async def test_duplicate_inside_one_batch_is_stored_once(
    registry: AsyncClient, tokens: Tokens
) -> None:
    item = movement()
    response = await registry.post(
        "/v1/movements/batch", json={"movements": [item, item]}, headers=tokens.terminal
    )
    assert [r["status"] for r in response.json()["results"]] == ["created", "duplicate"]


async def test_batch_sees_its_own_earlier_items_for_anomalies(
    registry: AsyncClient, tokens: Tokens
) -> None:
    traveller = {"national_id": a_cedula(602), "document_number": "B602"}
    items = [movement(occurred_at=at(i * 10), traveller=traveller) for i in range(2)]
    response = await registry.post(
        "/v1/movements/batch", json={"movements": items}, headers=tokens.terminal
    )
    assert [r["anomalies"] for r in response.json()["results"]] == [[], ["CONSECUTIVE_ENTRY"]]


async def test_batch_size_is_capped(registry: AsyncClient, tokens: Tokens) -> None:
    too_many = {"movements": [{} for _ in range(1001)]}
    response = await registry.post("/v1/movements/batch", json=too_many, headers=tokens.terminal)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "TOO_LONG"
    empty = await registry.post(
        "/v1/movements/batch", json={"movements": []}, headers=tokens.terminal
    )
    assert empty.status_code == 422


async def test_batch_items_that_are_not_objects_are_rejected_alone(
    registry: AsyncClient, tokens: Tokens
) -> None:
    response = await registry.post(
        "/v1/movements/batch", json={"movements": [movement(), "junk"]}, headers=tokens.terminal
    )
    # A non-object item is a malformed envelope: the whole request is refused, nothing stored.
    assert response.status_code == 422


async def test_a_full_batch_of_1000_is_accepted(registry: AsyncClient, tokens: Tokens) -> None:
    items = [
        movement(
            direction="ENTRY" if i % 2 == 0 else "EXIT",
            occurred_at=at(i // 2, hour=8 + i % 2),
            traveller={"national_id": a_cedula(10_000 + i // 20), "document_number": f"P{i // 20}"},
        )
        for i in range(1000)
    ]
    response = await registry.post(
        "/v1/movements/batch", json={"movements": items}, headers=tokens.terminal
    )
    assert response.status_code == 200
    assert response.json()["summary"]["created"] == 1000


async def test_batch_needs_write_scope(registry: AsyncClient, tokens: Tokens) -> None:
    response = await registry.post(
        "/v1/movements/batch", json={"movements": [movement()]}, headers=tokens.reader
    )
    assert response.status_code == 403
