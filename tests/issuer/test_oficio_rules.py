"""Every rule of the contract's table, each alone, then several at once (through the API),
and the finer points of each rule on validate_request itself."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from services.issuer.clock import today_in_ecuador
from services.issuer.models import Authority
from services.issuer.oficios.schemas import CertificateRequestIn
from services.issuer.oficios.validation import fold, validate_request
from services.issuer.settings import IssuerSettings
from services.issuer.signing import SignatureCheck
from tests.issuer.conftest import Authorities
from tests.issuer.helpers import certificate_request, days_ago, oficio_number

TODAY = today_in_ecuador()


def _reject(field: str, value: Any) -> dict[str, Any]:
    section, name = field.split(".")
    body = certificate_request()
    body.setdefault(section, {})[name] = value
    return body


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        (_reject("oficio.number", f"OFICIO-{TODAY.year}-1234"), "OFICIO_NUMBER_INVALID", "oficio.number"),
        (
            _reject("oficio.number", f"FGE-FPP-{TODAY.year - 1}-001234-O"),
            "OFICIO_YEAR_MISMATCH",
            "oficio.number",
        ),
        (_reject("oficio.date", days_ago(-1)), "OFICIO_DATE_IN_FUTURE", "oficio.date"),
        (_reject("oficio.addressee", "Registro Civil"), "OFICIO_ADDRESSEE_INVALID",
         "oficio.addressee"),
        (_reject("oficio.case_number", "CAUSA-12"), "CASE_NUMBER_INVALID", "oficio.case_number"),
        (_reject("subject.national_id", "1710034066"), "SUBJECT_ID_INVALID",
         "subject.national_id"),
        (_reject("period.to", days_ago(-1)), "PERIOD_INVALID", "period.to"),
        (_reject("oficio.pdf_base64", "bm90IGEgcGRm"), "OFICIO_SIGNATURE_INVALID",
         "oficio.pdf_base64"),
    ],
)  # fmt: skip
async def test_each_rule_rejects_alone(
    issuer: AsyncClient, authorities: Authorities, body: dict[str, Any], code: str, field: str
) -> None:
    response = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )

    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert [(e["code"], e["field"]) for e in problem["errors"]] == [(code, field)]
    assert problem["errors"][0]["message"]

    stored = await issuer.get(
        f"/v1/certificate-requests/{problem['request_id']}", headers=authorities.fiscalia.headers
    )
    assert stored.status_code == 200
    assert stored.json()["status"] == "REJECTED"
    assert stored.json()["errors"] == problem["errors"]
    assert stored.json()["certificate"] is None


async def test_oficio_too_old(issuer: AsyncClient, authorities: Authorities) -> None:
    old = date.fromisoformat(days_ago(400))
    body = certificate_request(
        oficio={"date": old.isoformat(), "number": f"FGE-FPP-{old.year}-000001-O"}
    )
    response = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )
    assert response.status_code == 422
    assert [e["code"] for e in response.json()["errors"]] == ["OFICIO_TOO_OLD"]


async def test_inactive_authority(
    issuer: AsyncClient, authorities: Authorities, issuer_session: AsyncSession
) -> None:
    await issuer_session.execute(
        update(Authority)
        .where(Authority.id == authorities.fiscalia.authority_id)
        .values(active=False)
    )
    await issuer_session.commit()
    response = await issuer.post(
        "/v1/certificate-requests", json=certificate_request(), headers=authorities.fiscalia.headers
    )
    assert response.status_code == 422
    assert [(e["code"], e["field"]) for e in response.json()["errors"]] == [
        ("AUTHORITY_INACTIVE", None)
    ]


async def test_every_failed_rule_is_reported_together(
    issuer: AsyncClient, authorities: Authorities
) -> None:
    body = certificate_request(
        oficio={
            "number": f"FGE-FPP-{TODAY.year - 1}-001234-O",
            "addressee": "Dirección de Tránsito",
            "case_number": "ABC",
        },
        subject={"national_id": "1710034066", "full_name": "Maria Perez"},
        period={"from": "2025-02-01", "to": "2025-01-01"},
    )
    response = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )

    assert response.status_code == 422
    assert {e["code"] for e in response.json()["errors"]} == {
        "OFICIO_YEAR_MISMATCH",
        "OFICIO_ADDRESSEE_INVALID",
        "CASE_NUMBER_INVALID",
        "SUBJECT_ID_INVALID",
        "PERIOD_INVALID",
    }


async def test_authority_pattern_replaces_quipux(
    issuer: AsyncClient, issuer_session: AsyncSession
) -> None:
    from tests.issuer.helpers import make_authority

    court = await make_authority(
        issuer_session, kind="JUDICIAL_UNIT", oficio_pattern=r"OF-(?P<year>\d{4})-\d{3}-UJ"
    )
    await issuer_session.commit()
    good = certificate_request(oficio={"number": f"OF-{TODAY.year}-001-UJ"})
    quipux = certificate_request(oficio={"number": oficio_number()})
    assert (
        await issuer.post("/v1/certificate-requests", json=good, headers=court.headers)
    ).status_code == 201
    response = await issuer.post("/v1/certificate-requests", json=quipux, headers=court.headers)
    assert [e["code"] for e in response.json()["errors"]] == ["OFICIO_NUMBER_INVALID"]


# --- the rules one by one, on the pure function --------------------------------------

_SETTINGS = IssuerSettings(database_url="postgresql://unused")
_ACTIVE = SimpleNamespace(active=True, oficio_pattern=None)


def codes_for(
    *,
    oficio: dict[str, Any] | None = None,
    subject: dict[str, Any] | None = None,
    period: dict[str, Any] | None = None,
    authority: Any = _ACTIVE,
    today: date = date(2025, 11, 20),
    settings: IssuerSettings = _SETTINGS,
    signature: SignatureCheck | None = None,
) -> list[str]:
    body: dict[str, Any] = {
        "oficio": {
            "number": "FGE-FPP-2025-001234-O",
            "date": "2025-11-20",
            "addressee": "Subsecretaría de Migración",
            "signatory_name": "Dra. Ana Torres",
            "signatory_role": "Fiscal",
            **(oficio or {}),
        },
        "subject": subject or {"national_id": "1710034065"},
    }
    if period is not None:
        body["period"] = period
    request = CertificateRequestIn.model_validate(body)
    errors = validate_request(
        request, authority=authority, today=today, settings=settings, signature_check=signature
    )
    return [e.code for e in errors]


def test_a_good_oficio_passes() -> None:
    assert codes_for() == []


@pytest.mark.parametrize(
    "number",
    [
        "FGE-FPP-2025-001234-O",
        "MDI-SM-2025-0123-O",
        "CJ-DP17-UJ-2025-00012345-O",
        "MDI-VDI-SM-2025-1-OF",
        "FGE-CGAJP-2025-00842-OF",
        "CJ-DNTICS-2025-7-M",
        "DP17-FPP-2025-12345-M",
    ],
)
def test_quipux_numbers(number: str) -> None:
    assert codes_for(oficio={"number": number}) == []


@pytest.mark.parametrize(
    "number",
    [
        "fge-fpp-2025-001234-o",
        "FGE-FPP-2025-001234",
        "2025-001234-O",
        "F-2025-1-O",
        "FGE-FPP-2025-001234-X",
        "FGE-FPP-2025-001234-MM",
        "FGE-FPP-2025-123456789-O",
        "FGE FPP 2025 1234 O",
    ],
)
def test_not_quipux_numbers(number: str) -> None:
    assert codes_for(oficio={"number": number}) == ["OFICIO_NUMBER_INVALID"]


def test_year_of_a_non_quipux_number_is_still_compared() -> None:
    assert codes_for(oficio={"number": "OFICIO-2024-77"}) == [
        "OFICIO_NUMBER_INVALID",
        "OFICIO_YEAR_MISMATCH",
    ]


def test_date_boundaries() -> None:
    assert codes_for(oficio={"date": "2025-11-21", "number": "AB-2025-1-O"}) == [
        "OFICIO_DATE_IN_FUTURE"
    ]
    # 365 days old is still fine, 366 is not.
    assert codes_for(oficio={"date": "2024-11-20", "number": "AB-2024-1-O"}) == []
    assert codes_for(oficio={"date": "2024-11-19", "number": "AB-2024-1-O"}) == ["OFICIO_TOO_OLD"]


@pytest.mark.parametrize(
    "addressee",
    [
        "Subsecretaría de Migración",
        "SUBSECRETARIA DE MIGRACION",
        "  subsecretaría   de  migración ",
        "Subsecretaría de Migración del Ministerio del Interior",
        "Señor Subsecretario de Migración",
        "Mgs. Juan Pérez, Subsecretario de Migración",
    ],
)
def test_addressee_accepted(addressee: str) -> None:
    assert codes_for(oficio={"addressee": addressee}) == []


@pytest.mark.parametrize(
    "addressee", ["Ministerio del Interior", "Subsecretaría de Migraciones", "Migración"]
)
def test_addressee_rejected(addressee: str) -> None:
    assert codes_for(oficio={"addressee": addressee}) == ["OFICIO_ADDRESSEE_INVALID"]


def test_fold() -> None:
    assert fold("  Subsecretaría  de\tMIGRACIÓN. ") == "subsecretaria de migracion"


@pytest.mark.parametrize("case", ["17282-2025-00123", "17282-2025-00123G", "170101815010045", ""])
def test_case_numbers_accepted(case: str) -> None:
    assert codes_for(oficio={"case_number": case}) == []


@pytest.mark.parametrize("case", ["1728-2025-00123", "17282-25-00123", "FGE-123", "12 34"])
def test_case_numbers_rejected(case: str) -> None:
    assert codes_for(oficio={"case_number": case}) == ["CASE_NUMBER_INVALID"]


@pytest.mark.parametrize(
    "subject",
    [
        {"national_id": "1710034066"},
        {"document_type": "PASSPORT", "document_number": "AB123456", "issuing_country": "XXX"},
        {"document_type": "VISA", "document_number": "AB123456", "issuing_country": "COL"},
        {"document_type": "PASSPORT", "document_number": "AB123456"},
        {"national_id": "1710034065", "document_number": "AB123456"},
        {"full_name": "Nadie"},
    ],
)
def test_subject_identity_rejected(subject: dict[str, Any]) -> None:
    assert set(codes_for(subject=subject)) == {"SUBJECT_ID_INVALID"}


def test_subject_by_document() -> None:
    subject = {
        "document_type": "PASSPORT",
        "document_number": "ab 123456",
        "issuing_country": "col",
    }
    assert codes_for(subject=subject) == []


def test_period_rules() -> None:
    assert codes_for(period={"from": "2020-01-01", "to": "2025-11-20"}) == []
    assert codes_for(period={"from": "2025-11-21"}) == ["PERIOD_INVALID"]
    assert codes_for(period={"from": "2025-02-01", "to": "2025-01-31"}) == ["PERIOD_INVALID"]
    assert codes_for(period={"from": "2025-12-01", "to": "2025-11-21"}) == [
        "PERIOD_INVALID",
        "PERIOD_INVALID",
    ]


def test_signature_rules() -> None:
    pdf = {"pdf_base64": "JVBERi0="}
    assert codes_for(oficio=pdf, signature=SignatureCheck(valid=True)) == []
    assert codes_for(oficio=pdf, signature=SignatureCheck(valid=False, reason="UNTRUSTED")) == [
        "OFICIO_SIGNATURE_INVALID"
    ]
    strict = _SETTINGS.model_copy(update={"require_signed_oficio": True})
    assert codes_for(settings=strict) == ["OFICIO_SIGNATURE_INVALID"]
    assert codes_for(settings=strict, oficio=pdf, signature=SignatureCheck(valid=True)) == []


def test_inactive_authority_rule() -> None:
    inactive = SimpleNamespace(active=False, oficio_pattern=None)
    assert codes_for(authority=inactive) == ["AUTHORITY_INACTIVE"]
