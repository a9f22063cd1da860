"""The history page is written by PostgreSQL in the answer's own shape (MOVEMENT_ANSWER, sent
as it is); GET /v1/movements/{id} builds its answer from flat rows in pydantic
(movement_answer). Both must say the same thing about every movement, to the character."""

from __future__ import annotations

from httpx import AsyncClient

from services.registry.history.schemas import HistoryPage
from services.registry.movements.schemas import MovementOut
from tests.conftest import Tokens
from tests.support.factories import a_cedula, at, movement

COMPANION = {"surnames": "TORRES", "given_names": "ANA", "document_type": "NATIONAL_ID",
             "document_number": "1710034065", "issuing_country": "ECU",
             "relationship": "MOTHER"}  # fmt: skip


async def test_every_movement_in_a_page_reads_as_it_does_alone(
    registry: AsyncClient, tokens: Tokens
) -> None:
    cedula = a_cedula(1707)
    child = {"national_id": cedula, "document_number": "HA1707", "birth_date": "2015-06-01"}
    items = [
        movement(direction="EXIT", occurred_at=at(1), traveller=child),
        movement(direction="EXIT", occurred_at=at(2), traveller=child,  # CONSECUTIVE_EXIT
                 transport={"mode": "AIR", "carrier": "LATAM", "number": "LA1440"}),
        movement(direction="ENTRY", occurred_at=at(3), traveller=child, observations="ok",
                 transport={"mode": "LAND"}),
        movement(direction="ENTRY", occurred_at=at(4), traveller={**child, "surnames": "OTRO"}),
        movement(direction="EXIT", occurred_at=at(5), traveller=child,
                 minor={"companions": [COMPANION]}),
    ]  # fmt: skip
    batch = await registry.post(
        "/v1/movements/batch", json={"movements": items}, headers=tokens.terminal
    )
    assert batch.json()["summary"]["created"] == len(items), batch.text
    # Annulling the second movement changes what the third one reads as.
    annulled = await registry.post(
        f"/v1/movements/{items[1]['movement_id']}/annulment",
        json={"reason": "Registro duplicado", "reference": "MEMO-1"},
        headers=tokens.supervisor,
    )
    assert annulled.status_code == 200, annulled.text

    page = await registry.post(
        "/v1/history/search",
        json={"identity": {"national_id": cedula}, "purpose": "CERTIFICATE", "reference": "R"},
        headers=tokens.reader,
    )
    listed = page.json()["movements"]
    assert [m["movement_id"] for m in listed] == [i["movement_id"] for i in items]
    for shown in listed:
        alone = await registry.get(f"/v1/movements/{shown['movement_id']}", headers=tokens.reader)
        assert shown == alone.json()
    assert listed[1]["annulment"]["reference"] == "MEMO-1"
    assert listed[1]["transport"] == {"mode": "AIR", "carrier": "LATAM", "number": "LA1440"}
    assert listed[2]["transport"] == {"mode": "LAND", "carrier": None, "number": None}
    assert "CONSECUTIVE_ENTRY" in listed[3]["anomalies"]
    assert "IDENTITY_DATA_MISMATCH" in listed[3]["anomalies"]
    assert listed[4]["minor"]["companions"][0]["given_names"] == "ANA"


async def test_pages_read_as_pydantic_would_write_them_across_page_boundaries(
    registry: AsyncClient, tokens: Tokens
) -> None:
    """Small pages: each page's first movement takes its previous direction from the page
    before (the one probe); sub-second times keep their microseconds as pydantic writes
    them; the document re-serialised by the HistoryPage model is the same document."""
    cedula = a_cedula(1708)
    traveller = {"national_id": cedula, "document_number": "HA1708"}
    directions = ["EXIT", "EXIT", "ENTRY", "ENTRY", "EXIT", "ENTRY", "ENTRY"]
    items = [
        movement(direction=d, occurred_at=at(k).replace("+00:00", ".250000+00:00") if k % 3 == 0
                 else at(k), traveller=traveller,
                 observations='Dijo "sí" \\ en C:\\ruta\n\tlínea ñ 😀' if k == 1 else None)
        for k, d in enumerate(directions)
    ]  # fmt: skip
    batch = await registry.post(
        "/v1/movements/batch", json={"movements": items}, headers=tokens.terminal
    )
    assert batch.json()["summary"]["created"] == len(items), batch.text
    await registry.post(  # the third annulled: the fourth no longer follows an ENTRY
        f"/v1/movements/{items[2]['movement_id']}/annulment",
        json={"reason": "Registro duplicado"},
        headers=tokens.supervisor,
    )

    listed, cursor = [], None
    while True:
        query = {"identity": {"national_id": cedula}, "purpose": "CERTIFICATE",
                 "reference": "R", "limit": 2, **({"cursor": cursor} if cursor else {})}  # fmt: skip
        page = await registry.post("/v1/history/search", json=query, headers=tokens.reader)
        assert page.status_code == 200, page.text
        assert HistoryPage.model_validate_json(page.content).model_dump(mode="json") == page.json()
        listed += page.json()["movements"]
        if (cursor := page.json()["next_cursor"]) is None:
            break
    assert [m["movement_id"] for m in listed] == [i["movement_id"] for i in items]
    for shown in listed:
        alone = await registry.get(f"/v1/movements/{shown['movement_id']}", headers=tokens.reader)
        assert shown == alone.json()
    assert [("CONSECUTIVE_" + m["direction"]) in m["anomalies"] for m in listed] == [
        False, True, False, False, False, False, True,
    ]  # fmt: skip
    assert listed[0]["occurred_at"].endswith(".250000Z")
    assert listed[1]["observations"] == 'Dijo "sí" \\ en C:\\ruta\n\tlínea ñ 😀'
    assert "; ".join(sorted(listed[0])) == "; ".join(sorted(MovementOut.model_fields))
