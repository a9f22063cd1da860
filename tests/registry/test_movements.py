"""POST /v1/movements: every rule of the contract, against real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from httpx import AsyncClient

from tests.conftest import Tokens
from tests.support.factories import a_cedula, at, movement


async def post(client: AsyncClient, tokens: Tokens, body: dict) -> tuple[int, dict]:
    response = await client.post("/v1/movements", json=body, headers=tokens.terminal)
    return response.status_code, response.json()


def codes(problem: dict) -> set[str]:
    return {e["code"] for e in problem["errors"]}


async def test_records_a_movement(registry: AsyncClient, tokens: Tokens) -> None:
    body = movement()
    response = await registry.post("/v1/movements", json=body, headers=tokens.terminal)
    assert response.status_code == 201
    stored = response.json()
    assert response.headers["location"] == f"/v1/movements/{body['movement_id']}"
    assert stored["movement_id"] == body["movement_id"]
    assert uuid.UUID(stored["person_id"])
    assert stored["recorded_at"]
    assert stored["anomalies"] == []
    assert stored["traveller"]["surnames"] == "PEREZ GOMEZ"
    assert stored["transport"] == {"mode": "AIR", "carrier": "AV", "number": "AV8374"}


async def test_document_numbers_are_normalised(registry: AsyncClient, tokens: Tokens) -> None:
    status, stored = await post(
        registry, tokens, movement(traveller={"document_number": " ab 12 3456"})
    )
    assert status == 201
    assert stored["traveller"]["document_number"] == "AB123456"


async def test_same_movement_again_is_200_with_the_stored_one(
    registry: AsyncClient, tokens: Tokens
) -> None:
    body = movement()
    first = await registry.post("/v1/movements", json=body, headers=tokens.terminal)
    again = await registry.post("/v1/movements", json=body, headers=tokens.terminal)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["recorded_at"] == first.json()["recorded_at"]
    assert again.json()["person_id"] == first.json()["person_id"]


async def test_same_instant_in_another_offset_is_the_same_content(
    registry: AsyncClient, tokens: Tokens
) -> None:
    body = movement(occurred_at="2025-03-01T14:05:00-05:00")
    assert (await post(registry, tokens, body))[0] == 201
    body["occurred_at"] = "2025-03-01T19:05:00Z"
    assert (await post(registry, tokens, body))[0] == 200


async def test_same_movement_id_with_other_content_is_409(
    registry: AsyncClient, tokens: Tokens
) -> None:
    body = movement()
    assert (await post(registry, tokens, body))[0] == 201
    status, problem = await post(registry, tokens, {**body, "direction": "EXIT"})
    assert status == 409
    assert problem["status"] == 409
    assert problem["type"].endswith("movement-conflict")


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"control_point": "AIR-XXX"}, "CONTROL_POINT_UNKNOWN", "control_point"),
        ({"occurred_at": "2025-03-01T14:05:00"}, "TIMEZONE_AWARE", "occurred_at"),
        ({"direction": "IN"}, "LITERAL_ERROR", "direction"),
        ({"origin_country": "XYZ"}, "COUNTRY_INVALID", "origin_country"),
        ({"destination_country": "EC"}, "COUNTRY_INVALID", "destination_country"),
        ({"traveller": {"nationality": "ZZZ"}}, "COUNTRY_INVALID", "traveller.nationality"),
        ({"traveller": {"issuing_country": "QQQ"}}, "COUNTRY_INVALID", "traveller.issuing_country"),
        (
            {"traveller": {"national_id": "1710034066"}},
            "NATIONAL_ID_INVALID",
            "traveller.national_id",
        ),
        ({"traveller": {"sex": "Z"}}, "LITERAL_ERROR", "traveller.sex"),
        ({"traveller": {"document_type": "VISA"}}, "LITERAL_ERROR", "traveller.document_type"),
        ({"traveller": {"surnames": ""}}, "STRING_TOO_SHORT", "traveller.surnames"),
        (
            {"traveller": {"document_number": "AB#1"}},
            "DOCUMENT_NUMBER_INVALID",
            "traveller.document_number",
        ),
        ({"transport": {"mode": "SPACE"}}, "LITERAL_ERROR", "transport.mode"),
        ({"unexpected": 1}, "EXTRA_FORBIDDEN", "unexpected"),
        ({"movement_id": "not-a-uuid"}, "UUID_PARSING", "movement_id"),
    ],
)
async def test_each_malformed_field_is_rejected_with_its_code(
    registry: AsyncClient, tokens: Tokens, change: dict, code: str, field: str
) -> None:
    status, problem = await post(registry, tokens, movement(**change))
    assert status == 422
    assert {"code": code, "field": field} in [
        {"code": e["code"], "field": e["field"]} for e in problem["errors"]
    ]


async def test_occurred_at_more_than_five_minutes_ahead_is_rejected(
    registry: AsyncClient, tokens: Tokens
) -> None:
    soon = (datetime.now(UTC) + timedelta(minutes=3)).isoformat()
    later = (datetime.now(UTC) + timedelta(minutes=7)).isoformat()
    assert (await post(registry, tokens, movement(occurred_at=soon)))[0] == 201
    status, problem = await post(registry, tokens, movement(occurred_at=later))
    assert status == 422
    assert codes(problem) == {"OCCURRED_AT_IN_FUTURE"}


async def test_birth_date_in_the_future_or_after_the_movement(
    registry: AsyncClient, tokens: Tokens
) -> None:
    future = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    status, problem = await post(registry, tokens, movement(traveller={"birth_date": future}))
    assert status == 422
    assert "BIRTH_DATE_IN_FUTURE" in codes(problem)

    status, problem = await post(
        registry, tokens, movement(occurred_at=at(0), traveller={"birth_date": "2021-01-01"})
    )
    assert status == 422
    assert codes(problem) == {"BIRTH_DATE_AFTER_MOVEMENT"}


async def test_every_failed_rule_is_listed_not_just_the_first(
    registry: AsyncClient, tokens: Tokens
) -> None:
    body = movement(
        control_point="NOWHERE",
        occurred_at="2025-03-01T14:05:00-05:00",
        origin_country="XXX",
        traveller={"national_id": "1234567890", "birth_date": "2026-01-01"},
    )
    status, problem = await post(registry, tokens, body)
    assert status == 422
    assert problem["title"] and problem["detail"]
    assert {
        "CONTROL_POINT_UNKNOWN",
        "COUNTRY_INVALID",
        "NATIONAL_ID_INVALID",
        "BIRTH_DATE_AFTER_MOVEMENT",
    } <= codes(problem)


async def test_problem_json_content_type(registry: AsyncClient, tokens: Tokens) -> None:
    response = await registry.post(
        "/v1/movements", json=movement(direction="X"), headers=tokens.terminal
    )
    assert response.headers["content-type"] == "application/problem+json"


async def test_inactive_control_point_is_rejected(
    registry: AsyncClient, tokens: Tokens, registry_session, registry_owner_url: str
) -> None:
    from services.registry.control_points.catalog import CONTROL_POINTS
    from tests.support.postgres import run_as_owner

    # Control points change by migration (as the owner): the service role cannot.
    await run_as_owner(
        registry_owner_url, "UPDATE control_points SET active = false WHERE code = 'LAND-JIMBURA'"
    )
    try:
        CONTROL_POINTS.invalidate()
        await CONTROL_POINTS.refresh_if_stale(registry_session)
        status, problem = await post(registry, tokens, movement(control_point="LAND-JIMBURA"))
        assert status == 422
        assert codes(problem) == {"CONTROL_POINT_INACTIVE"}
    finally:
        await run_as_owner(
            registry_owner_url,
            "UPDATE control_points SET active = true WHERE code = 'LAND-JIMBURA'",
        )
        CONTROL_POINTS.invalidate()


async def test_ecuadorian_id_card_as_document_must_be_a_cedula(
    registry: AsyncClient, tokens: Tokens
) -> None:
    bad = movement(traveller={"document_type": "NATIONAL_ID", "document_number": "1234567890"})
    status, problem = await post(registry, tokens, bad)
    assert status == 422 and "NATIONAL_ID_INVALID" in codes(problem)


async def test_consecutive_entries_are_flagged_not_rejected(
    registry: AsyncClient, tokens: Tokens
) -> None:
    cedula = a_cedula(501)
    traveller = {"national_id": cedula, "document_number": "C501"}
    first = await post(registry, tokens, movement(occurred_at=at(0), traveller=traveller))
    second = await post(registry, tokens, movement(occurred_at=at(5), traveller=traveller))
    exit_ = await post(
        registry, tokens, movement(direction="EXIT", occurred_at=at(9), traveller=traveller)
    )
    exit_again = await post(
        registry, tokens, movement(direction="EXIT", occurred_at=at(12), traveller=traveller)
    )
    assert first[0] == second[0] == exit_[0] == exit_again[0] == 201
    assert first[1]["anomalies"] == []
    assert second[1]["anomalies"] == ["CONSECUTIVE_ENTRY"]
    assert exit_[1]["anomalies"] == []
    assert exit_again[1]["anomalies"] == ["CONSECUTIVE_EXIT"]


async def test_anomaly_uses_time_order_not_upload_order(
    registry: AsyncClient, tokens: Tokens
) -> None:
    """A land post uploads an old EXIT late: it is judged against what came before it."""
    traveller = {"national_id": a_cedula(502), "document_number": "C502"}
    await post(
        registry, tokens, movement(direction="ENTRY", occurred_at=at(0), traveller=traveller)
    )
    await post(
        registry, tokens, movement(direction="ENTRY", occurred_at=at(20), traveller=traveller)
    )
    late = await post(
        registry, tokens, movement(direction="EXIT", occurred_at=at(10), traveller=traveller)
    )
    assert late[1]["anomalies"] == []


async def test_annulled_movement_is_ignored_for_anomalies(
    registry: AsyncClient, tokens: Tokens
) -> None:
    traveller = {"national_id": a_cedula(503), "document_number": "C503"}
    _, wrong = await post(registry, tokens, movement(occurred_at=at(0), traveller=traveller))
    annul = await registry.post(
        f"/v1/movements/{wrong['movement_id']}/annulment",
        json={"reason": "Registrado por error"},
        headers=tokens.supervisor,
    )
    assert annul.status_code == 200
    _, entry = await post(registry, tokens, movement(occurred_at=at(3), traveller=traveller))
    assert entry["anomalies"] == []


async def test_auth_missing_invalid_and_wrong_scope(registry: AsyncClient, tokens: Tokens) -> None:
    body = movement()
    missing = await registry.post("/v1/movements", json=body)
    invalid = await registry.post(
        "/v1/movements", json=body, headers={"Authorization": "Bearer reg_nope"}
    )
    wrong = await registry.post("/v1/movements", json=body, headers=tokens.reader)
    admin = await registry.post("/v1/movements", json=body, headers=tokens.nobody)
    assert (missing.status_code, invalid.status_code) == (401, 401)
    assert (wrong.status_code, admin.status_code) == (403, 403)
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.headers["www-authenticate"] == "Bearer"


async def test_get_movement_needs_write_or_read_scope(
    registry: AsyncClient, tokens: Tokens
) -> None:
    _, stored = await post(registry, tokens, movement())
    path = f"/v1/movements/{stored['movement_id']}"
    assert (await registry.get(path, headers=tokens.terminal)).status_code == 200
    assert (await registry.get(path, headers=tokens.reader)).json()["movement_id"] == stored[
        "movement_id"
    ]
    assert (await registry.get(path, headers=tokens.supervisor)).status_code == 403
    missing = await registry.get(f"/v1/movements/{uuid.uuid4()}", headers=tokens.reader)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
