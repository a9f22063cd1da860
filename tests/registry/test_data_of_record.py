"""A booth typo never renames a person; late uploads are seen by reads (over HTTP)."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

from tests.conftest import Tokens
from tests.support.factories import a_cedula, at, movement


async def post(registry: AsyncClient, tokens: Tokens, **kw: Any) -> dict[str, Any]:
    response = await registry.post("/v1/movements", json=movement(**kw), headers=tokens.terminal)
    assert response.status_code == 201, response.text
    return response.json()


async def history(registry: AsyncClient, tokens: Tokens, cedula: str) -> dict[str, Any]:
    body = {"identity": {"national_id": cedula}, "purpose": "CERTIFICATE", "reference": "R"}
    response = await registry.post("/v1/history/search", json=body, headers=tokens.reader)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_mistyped_capture_is_flagged_and_the_person_keeps_their_name(
    registry: AsyncClient, tokens: Tokens
) -> None:
    cedula = a_cedula(9701)
    first = await post(registry, tokens, occurred_at=at(1), traveller={"national_id": cedula})
    typo = await post(
        registry, tokens, direction="EXIT", occurred_at=at(2),
        traveller={"national_id": cedula, "surnames": "ZAMBRANO", "given_names": "PEDRO",
                   "birth_date": "1985-01-01", "sex": "M"},
    )  # fmt: skip
    assert first["anomalies"] == []
    assert typo["anomalies"] == ["IDENTITY_DATA_MISMATCH"]
    assert typo["person_id"] == first["person_id"]

    page = await history(registry, tokens, cedula)
    person = page["person"]
    assert (person["surnames"], person["given_names"], person["birth_date"], person["sex"]) == (
        "PEREZ GOMEZ", "MARIA JOSE", "1990-05-01", "F",
    )  # fmt: skip
    # Each movement keeps the data it was captured with, and its flag.
    assert [m["traveller"]["surnames"] for m in page["movements"]] == ["PEREZ GOMEZ", "ZAMBRANO"]
    assert page["movements"][1]["anomalies"] == ["IDENTITY_DATA_MISMATCH"]
    got = await registry.get(f"/v1/persons/{first['person_id']}", headers=tokens.reader)
    assert got.json()["surnames"] == "PEREZ GOMEZ" and got.json()["given_names"] == "MARIA JOSE"


async def test_the_latest_movement_annulled_or_not_does_not_rename(
    registry: AsyncClient, tokens: Tokens
) -> None:
    cedula = a_cedula(9702)
    await post(registry, tokens, occurred_at=at(1), traveller={"national_id": cedula})
    later = await post(
        registry, tokens, direction="EXIT", occurred_at=at(9),
        traveller={"national_id": cedula, "given_names": "MARIA JOSEFA"},
    )  # fmt: skip
    await registry.post(
        f"/v1/movements/{later['movement_id']}/annulment",
        json={"reason": "nombre mal capturado"},
        headers=tokens.supervisor,
    )
    assert (await history(registry, tokens, cedula))["person"]["given_names"] == "MARIA JOSE"


async def test_history_sees_late_uploads_while_the_post_answer_kept_insert_time(
    registry: AsyncClient, tokens: Tokens
) -> None:
    cedula = a_cedula(9703)
    t = {"national_id": cedula}
    entry = await post(registry, tokens, occurred_at=at(1), traveller=t)
    second = await post(registry, tokens, occurred_at=at(20), traveller=t)
    assert second["anomalies"] == ["CONSECUTIVE_ENTRY"]  # what the terminal was told
    page = await history(registry, tokens, cedula)
    assert [m["anomalies"] for m in page["movements"]] == [[], ["CONSECUTIVE_ENTRY"]]

    # The land post's exit between them arrives late: history now shows no anomaly...
    late = await post(registry, tokens, direction="EXIT", occurred_at=at(10), traveller=t)
    assert late["anomalies"] == []
    page = await history(registry, tokens, cedula)
    assert [m["anomalies"] for m in page["movements"]] == [[], [], []]
    got = await registry.get(f"/v1/movements/{second['movement_id']}", headers=tokens.reader)
    assert got.json()["anomalies"] == []
    # ...while a re-sent POST still says what was known when it was recorded.
    again = await registry.post(
        "/v1/movements",
        json=movement(movement_id=second["movement_id"], occurred_at=at(20), traveller=t),
        headers=tokens.terminal,
    )
    assert again.status_code == 200 and again.json()["anomalies"] == ["CONSECUTIVE_ENTRY"]

    # An annulled movement drops out of the timeline: the two entries are consecutive again.
    await registry.post(
        f"/v1/movements/{late['movement_id']}/annulment",
        json={"reason": "duplicado"},
        headers=tokens.supervisor,
    )
    page = await history(registry, tokens, cedula)
    by_id = {m["movement_id"]: m["anomalies"] for m in page["movements"]}
    assert by_id[second["movement_id"]] == ["CONSECUTIVE_ENTRY"]
    assert by_id[entry["movement_id"]] == []
