"""SUBJECT_NAME_MISMATCH: the oficio's name must share a surname with the registry's data of
record, so a mistyped cédula cannot produce someone else's certificate."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from services.issuer.oficios.names import shares_a_surname
from services.issuer.pending.worker import PendingWorker
from tests.conftest import Tokens
from tests.issuer.conftest import Authorities, IssuerFactory
from tests.issuer.helpers import certificate_request, fresh_cedula, seed_history


@pytest.mark.parametrize(
    ("full_name", "surnames", "expected"),
    [
        ("MARIA JOSE PEREZ GOMEZ", "PEREZ GOMEZ", True),
        ("Pérez Gómez María José", "PEREZ GOMEZ", True),  # order, case, accents
        ("maría gómez", "PÉREZ GÓMEZ", True),  # one surname is enough
        ("JUAN DE LA TORRE", "DE LA TORRE ANDRADE", True),
        ("PEDRO PICAPIEDRA", "PEREZ GOMEZ", False),
        ("MARIA DE LOS ANGELES", "DE LA TORRE", False),  # particles are not surnames
        ("JOSE PEREZGOMEZ", "PEREZ GOMEZ", False),
    ],
)
def test_shares_a_surname(full_name: str, surnames: str, expected: bool) -> None:
    assert shares_a_surname(full_name, surnames) is expected


@pytest.fixture
async def maria(registry_committing: AsyncClient, committed_tokens: Tokens) -> str:
    """A cédula the registry knows as PEREZ GOMEZ MARIA JOSE."""
    cedula = fresh_cedula()
    await seed_history(registry_committing, committed_tokens.terminal, national_id=cedula, count=2)
    return cedula


async def _post(issuer: AsyncClient, authorities: Authorities, body: dict) -> dict:  # type: ignore[type-arg]
    response = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )
    return {**response.json(), "http": response.status_code}


async def test_another_persons_name_is_refused(
    issuer: AsyncClient, authorities: Authorities, maria: str
) -> None:
    body = certificate_request(subject={"national_id": maria, "full_name": "PEDRO PICAPIEDRA"})
    answer = await _post(issuer, authorities, body)
    assert answer["http"] == 422
    assert [e["code"] for e in answer["errors"]] == ["SUBJECT_NAME_MISMATCH"]
    assert "PEREZ" not in answer["errors"][0]["message"], "the registry's data stays private"

    view = await issuer.get(
        f"/v1/certificate-requests/{answer['request_id']}", headers=authorities.fiscalia.headers
    )
    assert view.json()["status"] == "REJECTED"


async def test_the_same_person_in_any_order_passes(
    issuer: AsyncClient, authorities: Authorities, maria: str
) -> None:
    for name in ("gómez maría", None):
        subject = {"national_id": maria, **({"full_name": name} if name else {})}
        answer = await _post(issuer, authorities, certificate_request(subject=subject))
        assert answer["http"] == 201, answer


async def test_an_unknown_person_has_nothing_to_compare(
    issuer: AsyncClient, authorities: Authorities
) -> None:
    subject = {"national_id": fresh_cedula(), "full_name": "PEDRO PICAPIEDRA"}
    answer = await _post(issuer, authorities, certificate_request(subject=subject))
    assert answer["http"] == 201


async def test_reported_with_the_other_failures(
    issuer: AsyncClient, authorities: Authorities, maria: str
) -> None:
    body = certificate_request(
        oficio={"case_number": "CAUSA-12"},
        subject={"national_id": maria, "full_name": "PEDRO PICAPIEDRA"},
    )
    answer = await _post(issuer, authorities, body)
    assert [e["code"] for e in answer["errors"]] == ["CASE_NUMBER_INVALID", "SUBJECT_NAME_MISMATCH"]


async def test_a_pending_request_is_checked_when_the_registry_answers(
    issuer_factory: IssuerFactory,
    issuer_app: FastAPI,
    issuer: AsyncClient,
    authorities: Authorities,
    maria: str,
    closed_port: int,
) -> None:
    body = certificate_request(subject={"national_id": maria, "full_name": "PEDRO PICAPIEDRA"})
    down = {"registry_http": None, "registry_url": f"http://127.0.0.1:{closed_port}"}
    async with issuer_factory(**down) as (_, issuer_without_registry):
        answer = await _post(issuer_without_registry, authorities, body)
    assert answer["http"] == 202

    worker: PendingWorker = issuer_app.state.pending_worker
    assert await worker.run_once() == 0
    view = await issuer.get(
        f"/v1/certificate-requests/{uuid.UUID(answer['request_id'])}",
        headers=authorities.fiscalia.headers,
    )
    assert view.json()["status"] == "REJECTED"
    assert [e["code"] for e in view.json()["errors"]] == ["SUBJECT_NAME_MISMATCH"]
    assert view.json()["certificate"] is None
