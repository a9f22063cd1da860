"""Minors (arts. 136-137): who is a minor, the two flags, and the block's round trip."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from httpx import AsyncClient

from services.registry.calendar import is_minor_on
from services.registry.movements.minors import MinorBlock, minor_flags
from tests.conftest import Tokens
from tests.support.factories import a_cedula, movement

MOTHER = {
    "surnames": "PEREZ GOMEZ",
    "given_names": "MARIA JOSE",
    "document_type": "NATIONAL_ID",
    "document_number": "1710034065",
    "issuing_country": "ECU",
    "relationship": "MOTHER",
}
FATHER = {
    **MOTHER,
    "given_names": "LUIS",
    "document_type": "PASSPORT",
    "document_number": "CO998877",
    "issuing_country": "COL",
    "relationship": "FATHER",
}
GUARDIAN = {**FATHER, "document_number": "G123", "relationship": "LEGAL_GUARDIAN"}
AUNT = {**FATHER, "document_number": "A123", "relationship": "OTHER_RELATIVE"}
RESPONSIBLE = {
    "full_name": "ANA TORRES",
    "relationship": "OTHER_RELATIVE",
    "address": "Av. Amazonas N32-171, Quito",
}
NOTARIAL = {"kind": "NOTARIAL", "reference": "2025-17-01-012-P01234", "issued_on": "2025-02-20"}


@pytest.mark.parametrize(
    ("birth", "day", "minor"),
    [
        (date(2007, 5, 1), date(2025, 4, 30), True),  # the day before the 18th birthday
        (date(2007, 5, 1), date(2025, 5, 1), False),  # the 18th birthday
        (date(2008, 2, 29), date(2026, 2, 28), True),  # leap-day birthday, common year...
        (date(2008, 2, 29), date(2026, 3, 1), False),  # ...turns 18 on 1 March
        (date(2004, 2, 29), date(2022, 2, 28), True),
        (date(2004, 2, 29), date(2022, 3, 1), False),
        (date(2006, 2, 28), date(2024, 2, 27), True),
        (date(2006, 2, 28), date(2024, 2, 28), False),
        (date(2025, 1, 1), date(2025, 1, 1), True),  # born that day
    ],
)
def test_a_minor_until_the_day_before_the_18th_birthday(
    birth: date, day: date, minor: bool
) -> None:
    assert is_minor_on(birth, day) is minor


ECUADOR_NIGHT = datetime(2025, 5, 1, 4, 30, tzinfo=UTC)  # 30 April, 23:30 in Ecuador


def test_the_day_is_ecuadors() -> None:
    # 18th birthday on 1 May: at 04:30 UTC it is still 30 April in Ecuador, still a minor.
    flags = minor_flags(
        direction="EXIT", occurred_at=ECUADOR_NIGHT, birth_date=date(2007, 5, 1), minor=None
    )
    assert flags == ["MINOR_WITHOUT_COMPANION_RECORD", "MINOR_EXIT_WITHOUT_AUTHORIZATION"]
    assert minor_flags(direction="EXIT", occurred_at=ECUADOR_NIGHT + timedelta(hours=1),
                       birth_date=date(2007, 5, 1), minor=None) == []  # fmt: skip


W = "MINOR_WITHOUT_COMPANION_RECORD"
X = "MINOR_EXIT_WITHOUT_AUTHORIZATION"


@pytest.mark.parametrize(
    ("direction", "block", "flags"),
    [
        ("EXIT", None, [W, X]),
        ("ENTRY", None, [W]),
        ("EXIT", {}, [W, X]),
        ("EXIT", {"companions": [MOTHER]}, [X]),  # one parent
        ("EXIT", {"companions": [MOTHER, FATHER]}, []),  # both parents
        ("EXIT", {"companions": [GUARDIAN]}, []),  # a legal guardian
        ("EXIT", {"companions": [AUNT]}, [X]),  # third persons
        ("EXIT", {"companions": [MOTHER], "exit_authorization": NOTARIAL}, []),
        ("EXIT", {"responsible_person": RESPONSIBLE}, [X]),  # alone, someone responsible
        (
            "EXIT",
            {"responsible_person": RESPONSIBLE, "exit_authorization": {"kind": "NOT_REQUIRED"}},
            [],
        ),
        ("ENTRY", {"companions": [MOTHER]}, []),  # entries need no authorisation
        ("ENTRY", {"responsible_person": RESPONSIBLE, "stay_address": "Quito"}, []),
    ],
)
def test_flags(direction: str, block: dict[str, Any] | None, flags: list[str]) -> None:
    minor = MinorBlock.model_validate(block) if block is not None else None
    at = datetime(2025, 3, 1, 12, tzinfo=timezone(timedelta(hours=-5)))
    assert (
        minor_flags(direction=direction, occurred_at=at, birth_date=date(2015, 6, 1), minor=minor)
        == flags
    )
    assert (
        minor_flags(direction=direction, occurred_at=at, birth_date=date(1990, 6, 1), minor=minor)
        == []
    )


def child(**overrides: Any) -> dict[str, Any]:
    traveller = {"national_id": a_cedula(9401), "document_number": "NI9401", "surnames": "PEREZ TORRES",
                 "given_names": "SOFIA", "birth_date": "2015-06-01"}  # fmt: skip
    traveller.update(overrides.pop("traveller", {}))
    return movement(traveller=traveller, **overrides)


async def test_the_block_is_stored_and_returned_wherever_the_movement_is(
    registry: AsyncClient, tokens: Tokens
) -> None:
    block = {"companions": [MOTHER], "responsible_person": RESPONSIBLE,
             "stay_address": "Calle 10 # 5-20, Bogotá", "exit_authorization": NOTARIAL}  # fmt: skip
    body = child(direction="EXIT", destination_country="COL", origin_country=None, minor=block)
    created = await registry.post("/v1/movements", json=body, headers=tokens.terminal)
    assert created.status_code == 201, created.text
    stored = created.json()
    assert stored["minor"] == block | {"responsible_person": RESPONSIBLE}
    assert stored["anomalies"] == []
    again = await registry.post("/v1/movements", json=body, headers=tokens.terminal)
    assert again.status_code == 200 and again.json()["minor"] == stored["minor"]
    read = await registry.get(f"/v1/movements/{body['movement_id']}", headers=tokens.reader)
    assert read.json()["minor"] == stored["minor"]
    page = await registry.post(
        "/v1/history/search",
        json={"identity": {"national_id": body["traveller"]["national_id"]},
              "purpose": "CERTIFICATE", "reference": "R"},
        headers=tokens.reader,
    )  # fmt: skip
    assert page.json()["movements"][0]["minor"] == stored["minor"]


@pytest.mark.parametrize(
    ("block", "flags"),
    [
        ({"companions": [MOTHER]}, [X]),
        ({"companions": [MOTHER, FATHER]}, []),
        ({"companions": [GUARDIAN]}, []),
        (None, [W, X]),
    ],
    ids=["one parent", "both parents", "a guardian", "none"],
)
async def test_a_minor_leaving_is_flagged_never_rejected(
    registry: AsyncClient, tokens: Tokens, block: dict[str, Any] | None, flags: list[str]
) -> None:
    body = child(direction="EXIT", minor=block)
    response = await registry.post("/v1/movements", json=body, headers=tokens.terminal)
    assert response.status_code == 201, response.text
    assert response.json()["anomalies"] == flags


async def test_a_minor_block_for_an_adult_is_not_a_minor(
    registry: AsyncClient, tokens: Tokens
) -> None:
    body = child(occurred_at="2025-06-01T10:00:00-05:00", minor={"companions": [MOTHER]},
                 traveller={"birth_date": "2007-06-01"})  # 18 that very day  # fmt: skip
    response = await registry.post("/v1/movements", json=body, headers=tokens.terminal)
    assert response.status_code == 422
    assert [e["code"] for e in response.json()["errors"]] == ["NOT_A_MINOR"]
    # The day before, the same traveller is a minor and the block is welcome.
    body = child(occurred_at="2025-05-31T23:59:00-05:00", minor={"companions": [MOTHER]},
                 traveller={"birth_date": "2007-06-01"})  # fmt: skip
    assert (
        await registry.post("/v1/movements", json=body, headers=tokens.terminal)
    ).status_code == 201


async def test_companions_are_validated_with_every_rule_listed(
    registry: AsyncClient, tokens: Tokens
) -> None:
    bad = {"companions": [{**MOTHER, "document_number": "1710034066", "relationship": "NEIGHBOUR"},
                          {**FATHER, "issuing_country": "XXX"}],
           "exit_authorization": {"kind": "NOTARIAL"}, "unknown": 1}  # fmt: skip
    body = child(direction="EXIT", minor=bad, control_point="AIR-XXX")
    response = await registry.post("/v1/movements", json=body, headers=tokens.terminal)
    assert response.status_code == 422
    codes = {(e["code"], e["field"]) for e in response.json()["errors"]}
    assert ("LITERAL_ERROR", "minor.companions.0.relationship") in codes
    assert ("COUNTRY_INVALID", "minor.companions.1.issuing_country") in codes
    assert ("EXIT_AUTHORIZATION_REFERENCE_REQUIRED", "minor.exit_authorization") in codes
    assert ("EXTRA_FORBIDDEN", "minor.unknown") in codes
    assert ("CONTROL_POINT_UNKNOWN", "control_point") in codes


async def test_a_companions_cedula_must_be_valid(registry: AsyncClient, tokens: Tokens) -> None:
    body = child(minor={"companions": [{**MOTHER, "document_number": "1710034066"}]})
    response = await registry.post("/v1/movements", json=body, headers=tokens.terminal)
    assert [(e["code"], e["field"]) for e in response.json()["errors"]] == [
        ("NATIONAL_ID_INVALID", "minor.companions.0")
    ]


async def test_batches_carry_the_block_and_the_flags(registry: AsyncClient, tokens: Tokens) -> None:
    items = [child(direction="EXIT", minor={"companions": [MOTHER]}),
             child(direction="EXIT", minor={"companions": [MOTHER]},
                   traveller={"birth_date": "1990-01-01"})]  # fmt: skip
    response = await registry.post(
        "/v1/movements/batch", json={"movements": items}, headers=tokens.terminal
    )
    results = response.json()["results"]
    assert results[0]["status"] == "created" and results[0]["anomalies"] == [X]
    assert results[1]["status"] == "rejected"
    assert [e["code"] for e in results[1]["errors"]] == ["NOT_A_MINOR"]
    read = await registry.get(f"/v1/movements/{items[0]['movement_id']}", headers=tokens.reader)
    assert read.json()["minor"]["companions"][0]["relationship"] == "MOTHER"
