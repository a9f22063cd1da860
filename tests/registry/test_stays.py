"""POST /v1/stays/summary over HTTP: the wiring, the access log, and the database's part
(annulments, merges, ordering) checked against the day-by-day reference."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Tokens
from tests.support import stays_reference as reference
from tests.support.factories import a_cedula, movement

EC = timezone(timedelta(hours=-5))


def crossing(direction: str, day: str, clock: str = "12:00", **traveller: Any) -> dict[str, Any]:
    return movement(direction=direction, occurred_at=f"{day}T{clock}:00-05:00", traveller=traveller)


async def post_all(registry: AsyncClient, tokens: Tokens, items: list[dict[str, Any]]) -> None:
    response = await registry.post(
        "/v1/movements/batch", json={"movements": items}, headers=tokens.terminal
    )
    assert response.json()["summary"]["created"] == len(items), response.text


async def summary(
    registry: AsyncClient, tokens: Tokens, identity: dict[str, Any], **kw: Any
) -> dict[str, Any]:
    body = {
        "identity": identity,
        "purpose": "CERTIFICATE",
        "reference": "FGE-FPP-2025-001234-O",
        **kw,
    }
    response = await registry.post("/v1/stays/summary", json=body, headers=tokens.reader)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_contracts_example_of_a_returnee(registry: AsyncClient, tokens: Tokens) -> None:
    cedula = a_cedula(9501)
    t = {"national_id": cedula, "document_number": "ST9501"}
    items = [crossing("ENTRY", "2015-01-01", **t), crossing("EXIT", "2021-03-02", **t),
             crossing("ENTRY", "2022-07-01", **t), crossing("EXIT", "2022-09-28", **t),
             crossing("ENTRY", "2024-06-01", **t)]  # fmt: skip
    await post_all(registry, tokens, items)
    result = await summary(registry, tokens, {"national_id": cedula}, on="2025-11-20")
    assert result["on"] == "2025-11-20" and result["status"] == "IN_ECUADOR"
    assert result["person"]["national_id"] == cedula
    assert result["returnee"] == {"abroad_from": "2021-03-02", "returned_on": "2024-06-01",
                                  "days_abroad": 1187, "more_than_two_years_abroad": True}  # fmt: skip
    assert result["visitor_allowance"] is None
    assert result["last_movement"]["movement_id"] == items[-1]["movement_id"]
    assert result["stays"][-1] == {"entered_on": "2024-06-01", "left_on": None, "days": 538}
    assert result["days_in_ecuador"] == {"last_90": 90, "last_180": 180, "last_365": 365}
    assert result["anomalies"] == []


async def test_a_visitor_overstays_and_annulled_and_later_movements_do_not_count(
    registry: AsyncClient, tokens: Tokens, registry_session: AsyncSession
) -> None:
    t = {
        "national_id": None,
        "document_number": "CO9502",
        "issuing_country": "COL",
        "nationality": "COL",
    }
    entry = crossing("ENTRY", "2025-08-18", **t)
    mistaken_exit = crossing("EXIT", "2025-09-01", **t)
    after_on = crossing("EXIT", "2025-11-21", "00:01", **t)
    await post_all(registry, tokens, [entry, mistaken_exit, after_on])
    annulled = await registry.post(f"/v1/movements/{mistaken_exit['movement_id']}/annulment",
                                   json={"reason": "capturado por error"}, headers=tokens.supervisor)  # fmt: skip
    assert annulled.status_code == 200
    identity = {"document_type": "PASSPORT", "document_number": "CO9502", "issuing_country": "COL"}
    result = await summary(registry, tokens, identity, on="2025-11-20")
    assert result["status"] == "IN_ECUADOR"
    assert result["stays"] == [{"entered_on": "2025-08-18", "left_on": None, "days": 95}]
    assert result["visitor_allowance"] == {"allowance_days": 90, "window_days": 365, "days_used": 95,
                                           "days_remaining": 0, "overstay_days": 5}  # fmt: skip
    assert result["returnee"] is None
    logged = (await registry_session.execute(text(
        "SELECT action, purpose, reference, movement_count, identity FROM access_log "
        "WHERE action = 'STAYS_SUMMARY' ORDER BY id DESC LIMIT 1"))).one()  # fmt: skip
    assert logged.purpose == "CERTIFICATE" and logged.reference == "FGE-FPP-2025-001234-O"
    assert logged.movement_count == 1 and logged.identity == identity


async def test_an_unknown_person_is_not_an_error(registry: AsyncClient, tokens: Tokens) -> None:
    result = await summary(registry, tokens, {"national_id": a_cedula(9503)}, on="2025-11-20")
    assert result == {"person": None, "on": "2025-11-20", "status": "UNKNOWN", "last_movement": None,
                      "days_in_ecuador": {"last_90": 0, "last_180": 0, "last_365": 0}, "stays": [],
                      "visitor_allowance": None, "returnee": None, "anomalies": []}  # fmt: skip


async def test_on_defaults_to_today_in_ecuador(registry: AsyncClient, tokens: Tokens) -> None:
    result = await summary(registry, tokens, {"national_id": a_cedula(9504)})
    assert result["on"] == str(datetime.now(EC).date())


async def test_scope_and_rules(registry: AsyncClient, tokens: Tokens) -> None:
    body = {"identity": {"national_id": "1710034065"}, "purpose": "CERTIFICATE", "reference": "R"}
    assert (
        await registry.post("/v1/stays/summary", json=body, headers=tokens.terminal)
    ).status_code == 403
    assert (await registry.post("/v1/stays/summary", json=body)).status_code == 401
    bad = {"identity": {"national_id": "1710034066"}, "purpose": "x", "on": "not a day", "extra": 1}
    response = await registry.post("/v1/stays/summary", json=bad, headers=tokens.reader)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"identity.national_id", "purpose", "reference", "on", "extra"} <= fields


async def test_late_uploads_show_in_the_last_movements_anomalies(
    registry: AsyncClient, tokens: Tokens
) -> None:
    cedula = a_cedula(9505)
    t = {"national_id": cedula, "document_number": "ST9505"}
    await post_all(
        registry,
        tokens,
        [crossing("ENTRY", "2025-01-01", **t), crossing("ENTRY", "2025-03-01", **t)],
    )
    result = await summary(registry, tokens, {"national_id": cedula}, on="2025-11-20")
    assert result["last_movement"]["anomalies"] == ["CONSECUTIVE_ENTRY"]
    assert result["anomalies"] == ["CONSECUTIVE_ENTRY"]
    # A land post uploads the exit between them late: nothing is consecutive any more.
    await post_all(registry, tokens, [crossing("EXIT", "2025-02-01", **t)])
    result = await summary(registry, tokens, {"national_id": cedula}, on="2025-11-20")
    assert result["last_movement"]["anomalies"] == [] and result["anomalies"] == []


# --- the database's part, property-based: what is stored, annulled and merged ---------

_seeds = itertools.count(9600)
BASE = date(2021, 1, 1)
histories = st.lists(
    st.tuples(st.sampled_from(["ENTRY", "EXIT"]), st.integers(0, 800),
              st.sampled_from(["00:00", "00:01", "12:00", "23:59"]), st.integers(0, 5)),
    min_size=1,  # a person the registry knows (the unknown one is tested above)
    max_size=12,
)  # fmt: skip


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    history=histories, on_offset=st.integers(0, 900), nationality=st.sampled_from(["ECU", "COL"])
)
async def test_the_service_agrees_with_the_reference(
    registry: AsyncClient, tokens: Tokens, history: list[tuple[str, int, str, int]],
    on_offset: int, nationality: str,
) -> None:  # fmt: skip
    seed = next(_seeds)
    t = {"national_id": None, "document_number": f"PB{seed}", "nationality": nationality}
    items, crossings = [], []
    for direction, offset, clock, annul in history:
        item = crossing(direction, str(BASE + timedelta(days=offset)), clock, **t)
        items.append(item)
        crossings.append(reference.Crossing(
            UUID(item["movement_id"]), direction, datetime.fromisoformat(item["occurred_at"]), annul == 0
        ))  # fmt: skip
    await post_all(registry, tokens, items)
    for c in crossings:
        if c.annulled:
            await registry.post(f"/v1/movements/{c.movement_id}/annulment",
                                json={"reason": "prueba"}, headers=tokens.supervisor)  # fmt: skip
    on = BASE + timedelta(days=on_offset)
    identity = {
        "document_type": "PASSPORT",
        "document_number": f"PB{seed}",
        "issuing_country": "ECU",
    }
    actual = await summary(registry, tokens, identity, on=str(on))
    expected = reference.summary(crossings, on=on, nationality=nationality, national_id=None)
    assert actual["status"] == expected["status"]
    assert actual["days_in_ecuador"] == expected["days_in_ecuador"]
    assert actual["stays"] == _json(expected["stays"])
    assert actual["visitor_allowance"] == expected["visitor_allowance"]
    assert actual["returnee"] == _json(expected["returnee"])
    assert set(actual["anomalies"]) == expected["anomalies"]
    last = actual["last_movement"]["movement_id"] if actual["last_movement"] else None
    assert last == (str(expected["last_movement_id"]) if expected["last_movement_id"] else None)

    # History's read-time flags: lag over the non-annulled movements in (time, id) order.
    page = await registry.post(
        "/v1/history/search",
        json={"identity": identity, "purpose": "CERTIFICATE", "reference": "R", "limit": 1000},
        headers=tokens.reader,
    )
    timeline = [c for c in sorted(crossings, key=lambda c: (c.occurred_at, c.movement_id))
                if not c.annulled]  # fmt: skip
    expected_flags = {str(c.movement_id): [] for c in crossings}
    for before, after in itertools.pairwise(timeline):
        if before.direction == after.direction:
            expected_flags[str(after.movement_id)] = [f"CONSECUTIVE_{after.direction}"]
    shown = {m["movement_id"]: m["anomalies"] for m in page.json()["movements"]}
    for c in crossings:
        if not c.annulled:  # annulled ones keep what was flagged when they were recorded
            assert shown[str(c.movement_id)] == expected_flags[str(c.movement_id)]


def _json(value: Any) -> Any:
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return str(value) if isinstance(value, date) else value
