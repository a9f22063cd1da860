"""GET /v1/certificate-requests: the caller's own requests, newest first, keyset pages."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

from tests.issuer.conftest import Authorities
from tests.issuer.helpers import certificate_request

URL = "/v1/certificate-requests"


async def _send(issuer: AsyncClient, headers: dict[str, str], **overrides: Any) -> str:
    response = await issuer.post(URL, json=certificate_request(**overrides), headers=headers)
    assert response.status_code in (201, 422), response.text
    return str(response.json()["request_id"])


async def test_newest_first_filtered_and_paged(
    issuer: AsyncClient, authorities: Authorities
) -> None:
    fiscalia = authorities.fiscalia.headers
    first = await _send(issuer, fiscalia)
    rejected = await _send(issuer, fiscalia, oficio={"case_number": "CAUSA-12"})
    last = await _send(issuer, fiscalia)

    everything = (await issuer.get(URL, headers=fiscalia)).json()
    assert [i["request_id"] for i in everything["items"]] == [last, rejected, first]
    assert everything["next_cursor"] is None
    assert everything["items"][1]["errors"][0]["code"] == "CASE_NUMBER_INVALID"
    assert everything["items"][0]["certificate"]["number"].startswith("CMM-")

    only_rejected = (await issuer.get(URL, params={"status": "REJECTED"}, headers=fiscalia)).json()
    assert [i["request_id"] for i in only_rejected["items"]] == [rejected]

    seen, cursor = [], None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = (await issuer.get(URL, params=params, headers=fiscalia)).json()
        seen += [i["request_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [last, rejected, first]


async def test_by_oficio_number_only_the_callers_request(
    issuer: AsyncClient, authorities: Authorities
) -> None:
    mine = certificate_request()
    number = mine["oficio"]["number"]
    response = await issuer.post(URL, json=mine, headers=authorities.fiscalia.headers)
    assert response.status_code == 201
    # Another authority may use the same number for its own oficio.
    theirs = await issuer.post(
        URL,
        json=certificate_request(oficio={"number": number}),
        headers=authorities.juzgado.headers,
    )
    assert theirs.status_code == 201
    await _send(issuer, authorities.fiscalia.headers)

    found = (
        await issuer.get(
            URL, params={"oficio_number": number}, headers=authorities.fiscalia.headers
        )
    ).json()
    assert [i["request_id"] for i in found["items"]] == [response.json()["request_id"]]
    assert found["items"][0]["oficio"]["number"] == number

    for params in ({}, {"oficio_number": number}):
        listed = (await issuer.get(URL, params=params, headers=authorities.juzgado.headers)).json()
        assert [i["request_id"] for i in listed["items"]] == [theirs.json()["request_id"]]
    admin_view = await issuer.get(
        URL, params={"oficio_number": number}, headers=authorities.admin.headers
    )
    assert admin_view.status_code == 403  # admin tokens lack certificates:request


async def test_bad_parameters(issuer: AsyncClient, authorities: Authorities) -> None:
    headers = authorities.fiscalia.headers
    for params in ({"limit": 0}, {"limit": 201}, {"status": "LOST"}, {"cursor": "not-ours"}):
        response = await issuer.get(URL, params=params, headers=headers)
        assert response.status_code == 422, params
    assert (await issuer.get(URL)).status_code == 401
