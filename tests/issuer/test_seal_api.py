"""The seal end to end: issued PDF → printed page → phone-grade QR scan → offline and
online checks; the published keys; a forged seal refused."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from typing import Any

import anyio
import pypdfium2 as pdfium
import pytest
import zxingcpp
from httpx import AsyncClient

from services.issuer.clock import today_in_ecuador
from services.issuer.key_material import KeyMaterial
from services.issuer.seal import PREFIX, decode_fragment, encode_seal, keys_from_jwks
from services.issuer.seal.keys import SealSigningKey, generate_seal_key
from tests.conftest import Tokens
from tests.issuer.conftest import Authorities
from tests.issuer.helpers import (
    CONTROL_POINT_NAMES,
    certificate_request,
    fresh_cedula,
    seed_history,
)
from tests.issuer.seal_vectors import CLAIMS, _altered

# What a phone camera gets from a printed A4 page: ~150 dpi across the symbol.
PRINT_DPI = 150
MIN_MODULE_MM = 0.4


@pytest.fixture
async def issued(
    issuer: AsyncClient,
    authorities: Authorities,
    registry_committing: AsyncClient,
    committed_tokens: Tokens,
) -> dict[str, Any]:
    cedula = fresh_cedula()
    await seed_history(registry_committing, committed_tokens.terminal, national_id=cedula, count=2)
    body = certificate_request(national_id=cedula)
    response = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )
    assert response.status_code == 201, response.text
    certificate = response.json()["certificate"]
    pdf = await issuer.get(certificate["pdf_url"], headers=authorities.fiscalia.headers)
    return {**certificate, "cedula": cedula, "body": body, "pdf": pdf.content}


def _scan(pdf: bytes) -> tuple[str, float]:
    """The QR's text, and its module size in mm, from page 1 rendered at PRINT_DPI."""
    image = pdfium.PdfDocument(pdf)[0].render(scale=PRINT_DPI / 72).to_pil()
    [found] = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    p = found.position
    width_px = ((p.top_right.x - p.top_left.x) ** 2 + (p.top_right.y - p.top_left.y) ** 2) ** 0.5
    return found.text, width_px / PRINT_DPI * 25.4 / _modules(found.extra["Version"])


def _modules(version: str) -> int:
    """Modules per side of a QR symbol of ``version`` (ISO/IEC 18004: 17 + 4 per version)."""
    return 17 + 4 * int(version)


async def test_printed_qr_carries_a_seal_that_verifies_offline_and_online(
    issuer: AsyncClient, issued: dict[str, Any], authorities: Authorities
) -> None:
    text, module_mm = await anyio.to_thread.run_sync(_scan, issued["pdf"])
    url, _, seal = text.partition("#")
    assert url == issued["verify_url"] and seal.startswith(PREFIX)
    assert module_mm >= MIN_MODULE_MM

    # Offline: only the published keys.
    jwks = (await issuer.get("/v1/seal-keys")).json()
    assert set(jwks["keys"][0]) >= {"kid", "kty", "crv", "x", "y"}
    check = decode_fragment(seal, keys_from_jwks(jwks))
    assert check.valid and check.claims is not None
    claims = check.claims.to_json()
    verification = (await issuer.get(issued["verify_url"])).json()
    assert claims["n"] == issued["number"] == verification["number"]
    assert claims["iat"] == int(datetime.fromisoformat(issued["issued_at"]).timestamp())
    assert claims["auth"] == verification["authority"] == authorities.fiscalia.name
    assert claims["ofi"] == issued["body"]["oficio"]["number"]
    assert claims["sub"] == verification["subject"]["full_name"] == "P**** G**** M**** J***"
    assert claims["sid"] == verification["subject"]["identification"]
    assert issued["cedula"] not in str(claims)
    assert claims["from"] is None  # no period asked: the whole history...
    assert claims["to"] == today_in_ecuador().isoformat()  # ...up to today
    assert claims["cnt"] == 2
    # The two seeded movements as the table prints them (tests/issuer/helpers.seed_history).
    document = f"PASAPORTE ECU P{issued['cedula']}"
    uio, rumichaca = list(CONTROL_POINT_NAMES.values())[:2]
    printed = (
        f"01/01/2020 12:00\tSALIDA\t{uio}\t{document}\tCOL — Colombia\tAÉREO AV8374\n"
        f"08/01/2020 12:00\tENTRADA\t{rumichaca}\t{document}\tCOL — Colombia\tAÉREO AV8374\n"
    )
    assert claims["sha"] == hashlib.sha256(printed.encode()).hexdigest()[:32]

    # Online: the same claims, and our records' status.
    online = await issuer.post("/v1/verify/seal", json={"seal": seal})
    assert online.status_code == 200, online.text
    assert online.json() == {
        "valid": True,
        "kid": check.kid,
        "claims": claims,
        "status": "VALID",
        "reason": None,
        "record_matches": True,
    }
    revoked = await issuer.post(
        f"/v1/certificates/{issued['certificate_id']}/revocation",
        json={"reason": "Emitido por error"},
        headers=authorities.admin.headers,
    )
    assert revoked.status_code == 200
    online = await issuer.post("/v1/verify/seal", json={"seal": seal})
    assert online.json()["status"] == "REVOKED" and online.json()["valid"]


async def test_forged_seals_are_refused(issuer: AsyncClient, issued: dict[str, Any]) -> None:
    text, _ = await anyio.to_thread.run_sync(_scan, issued["pdf"])
    seal = text.partition("#")[2]
    jwks = (await issuer.get("/v1/seal-keys")).json()
    [ours] = keys_from_jwks(jwks)
    genuine = decode_fragment(seal, [ours]).claims
    assert genuine is not None
    impostor = SealSigningKey(ours.kid, generate_seal_key().private_key)
    forgeries = {
        "altered": _altered(seal),
        "impostor": encode_seal(genuine, impostor),
        "stranger": encode_seal(genuine, generate_seal_key()),
        "truncated": seal[:-20],
    }
    for name, forged in forgeries.items():
        answer = (await issuer.post("/v1/verify/seal", json={"seal": forged})).json()
        assert answer["valid"] is False, name
        assert answer["status"] == "UNKNOWN" and answer["claims"] is None, name
        assert answer["reason"] in {"BAD_SIGNATURE", "UNKNOWN_KEY", "MALFORMED"}, name


async def test_a_genuine_seal_of_a_certificate_we_do_not_hold_is_unknown(
    issuer: AsyncClient, key_material: KeyMaterial
) -> None:
    # Our key, a number never issued (another environment, or a database restored too far).
    seal = encode_seal(replace(CLAIMS, number="CMM-1999-999999"), key_material.seal.current)
    answer = (await issuer.post("/v1/verify/seal", json={"seal": seal})).json()
    assert answer["valid"] is True and answer["claims"]["n"] == "CMM-1999-999999"
    assert answer["status"] == "UNKNOWN" and answer["record_matches"] is None


async def test_input_is_bounded(issuer: AsyncClient) -> None:
    too_long = await issuer.post("/v1/verify/seal", json={"seal": PREFIX + "A" * 5000})
    assert too_long.status_code == 422
    extra = await issuer.post("/v1/verify/seal", json={"seal": PREFIX, "x": 1})
    assert extra.status_code == 422
    empty = await issuer.post("/v1/verify/seal", json={"seal": "HC1:ABC"})
    assert empty.status_code == 200 and empty.json()["reason"] == "BAD_PREFIX"
