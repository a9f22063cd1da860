"""RESUMEN DE PERMANENCIA: the registry's stay summary, printed and in the JSON."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

import pytest
from httpx import AsyncClient
from pypdf import PdfReader

from services.issuer.certificates.rendering import render_certificate
from services.issuer.certificates.stay_summary import stay_summary_json, stay_summary_lines
from services.issuer.registry_client import StaySummary
from tests.conftest import Tokens
from tests.issuer.conftest import Authorities
from tests.issuer.helpers import certificate_request, fresh_cedula, seed_history
from tests.issuer.test_rendering import _content

ECUADORIAN = {
    "on": "2025-11-20",
    "status": "IN_ECUADOR",
    "days_in_ecuador": {"last_90": 12, "last_180": 40, "last_365": 95},
    "stays": [{"entered_on": "2025-08-21", "left_on": None, "days": 92}],
    "visitor_allowance": None,
    "returnee": {"abroad_from": "2021-03-02", "returned_on": "2024-06-01",
                 "days_abroad": 1187, "more_than_two_years_abroad": True},
    "anomalies": [],
}  # fmt: skip
VISITOR = {
    **ECUADORIAN,
    "status": "ABROAD",
    "returnee": None,
    "visitor_allowance": {"allowance_days": 90, "window_days": 365, "days_used": 95,
                          "days_remaining": 0, "overstay_days": 5},
}  # fmt: skip


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            ECUADORIAN,
            [
                "Situación al 20/11/2025: EN ECUADOR.",
                "Días en Ecuador: últimos 90 días: 12 — últimos 180 días: 40 — "
                "últimos 365 días: 95.",
                "Tiempo fuera del país antes del último retorno: 1187 días (salida 02/03/2021, "
                "retorno 01/06/2024); más de dos años: sí.",
            ],
        ),
        (
            VISITOR,
            [
                "Situación al 20/11/2025: FUERA DEL PAÍS.",
                "Días en Ecuador: últimos 90 días: 12 — últimos 180 días: 40 — "
                "últimos 365 días: 95.",
                "Permanencia como visitante: 95 de 90 días en 365; restantes: 0; excedidos: 5.",
            ],
        ),
    ],
)
def test_lines_say_the_registrys_numbers(answer: dict[str, Any], expected: list[str]) -> None:
    summary = StaySummary.model_validate(answer)
    assert stay_summary_lines(summary) == expected
    as_json = stay_summary_json(summary)
    assert set(as_json) == {"on", "status", "days_in_ecuador", "visitor_allowance", "returnee"}
    assert as_json["days_in_ecuador"] == answer["days_in_ecuador"]


def _text(pdf: bytes) -> str:
    return " ".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)


def test_the_section_is_printed_only_when_asked() -> None:
    lines = stay_summary_lines(StaySummary.model_validate(ECUADORIAN))
    with_summary = " ".join(_text(render_certificate(_content(stay_summary_lines=lines))).split())
    assert "RESUMEN DE PERMANENCIA" in with_summary
    assert "últimos 90 días: 12" in with_summary
    assert "RESUMEN DE PERMANENCIA" not in _text(render_certificate(_content()))


async def test_same_numbers_as_the_registry_end_to_end(
    issuer: AsyncClient,
    authorities: Authorities,
    registry_committing: AsyncClient,
    committed_tokens: Tokens,
) -> None:
    cedula = fresh_cedula()
    await seed_history(registry_committing, committed_tokens.terminal, national_id=cedula, count=5)
    body = {**certificate_request(national_id=cedula), "include_stay_summary": True}
    response = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )
    assert response.status_code == 201, response.text
    certificate = response.json()["certificate"]

    today = date.today().isoformat()
    registry = await registry_committing.post(
        "/v1/stays/summary",
        json={"identity": {"national_id": cedula}, "on": certificate["stay_summary"]["on"],
              "purpose": "CERTIFICATE", "reference": body["oficio"]["number"]},
        headers=committed_tokens.reader,
    )  # fmt: skip
    assert registry.status_code == 200, registry.text
    expected = registry.json()
    for key in ("on", "status", "days_in_ecuador", "visitor_allowance", "returnee"):
        assert certificate["stay_summary"][key] == expected[key], key
    assert certificate["stay_summary"]["on"] <= today

    pdf = await issuer.get(certificate["pdf_url"], headers=authorities.fiscalia.headers)
    printed = " ".join(_text(pdf.content).split())
    assert "RESUMEN DE PERMANENCIA" in printed
    assert f"últimos 90 días: {expected['days_in_ecuador']['last_90']}" in printed


async def test_asking_for_it_is_part_of_the_oficio(
    issuer: AsyncClient, authorities: Authorities
) -> None:
    body = certificate_request()
    first = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )
    assert first.status_code == 201
    assert "stay_summary" not in first.json()["certificate"]
    again = await issuer.post(
        "/v1/certificate-requests",
        json={**body, "include_stay_summary": True},
        headers=authorities.fiscalia.headers,
    )
    assert again.status_code == 409  # same oficio number, other content
