"""``make demo``: post movements as terminals, request certificates as authorities,
save the PDFs and verify them, against the services ``make run`` started.

Safe to run again: movements and oficios are re-sent with the same ids and numbers,
so the services answer with what they already stored.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from services.demo import scenario
from services.demo.oficio_pdf import signed_oficio_base64

CREDENTIALS = Path(".data/dev-credentials.json")
OUT = Path(".data/demo")


def say(message: str) -> None:
    print(message, flush=True)


def main() -> int:
    if not CREDENTIALS.exists():
        say("No .data/dev-credentials.json: start the services first with `make run`.")
        return 1
    creds = json.loads(CREDENTIALS.read_text())
    tokens = creds["tokens"]
    registry, issuer = creds["registry_url"], creds["issuer_url"]
    try:
        for url in (registry, issuer):
            httpx.get(f"{url}/readyz", timeout=3).raise_for_status()
    except httpx.HTTPError:
        say(f"The services are not answering at {registry} and {issuer}: is `make run` running?")
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with httpx.Client(timeout=30, headers={"X-Request-ID": "demo"}) as http:
        post_movements(http, registry, tokens)
        certificates = request_certificates(http, issuer, tokens, creds)
        verify(http, issuer, certificates)
    say(f"\nDone. PDFs in {OUT}/; open a verify URL in a browser, or scan a PDF's QR code.")
    return 0


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post_movements(http: httpx.Client, registry: str, tokens: dict[str, str]) -> None:
    terminal = bearer(tokens["terminal"])
    say(f"[1/4] Airport terminals post {len(scenario.ONLINE)} movements one by one")
    for body in [*scenario.ONLINE, scenario.MISTAKE]:
        response = http.post(f"{registry}/v1/movements", json=body, headers=terminal)
        response.raise_for_status()
        stored = response.json()
        traveller = body["traveller"]
        outcome = "stored" if response.status_code == 201 else "already stored"
        flags = f"  anomalies: {', '.join(stored['anomalies'])}" if stored["anomalies"] else ""
        name = f"{traveller['given_names']} {traveller['surnames']}".title()
        when, point = body["occurred_at"][:10], body["control_point"]
        say(f"      {body['direction']:5} {when} {point:16} {name} ({outcome}){flags}")

    count = len(scenario.OFFLINE_BATCH)
    say(f"[2/4] A land post back online uploads {count} movements in one batch")
    response = http.post(
        f"{registry}/v1/movements/batch",
        json={"movements": scenario.OFFLINE_BATCH},
        headers=terminal,
    )
    response.raise_for_status()
    say(f"      summary: {response.json()['summary']}")

    mistake = scenario.MISTAKE["movement_id"]
    response = http.post(
        f"{registry}/v1/movements/{mistake}/annulment",
        json={
            "reason": "Registro ingresado por error en la ventanilla 4",
            "reference": "MEMO-SM-2025-0042",
        },
        headers=bearer(tokens["supervisor"]),
    )
    state = {200: "annulled", 409: "was already annulled"}.get(response.status_code, response.text)
    say(f"      supervisor: movement {mistake[:8]}… {state}")
    say("      (an annulled movement stays in history and is left out of certificates)")


def _oficio(number: str, today: date, **extra: Any) -> dict[str, Any]:
    return {
        "number": number,
        "date": today.isoformat(),
        "addressee": "Subsecretaría de Migración",
        "signatory_name": "Dra. Ana Torres",
        "signatory_role": "Fiscal",
        "case_number": "170101825010123",
        "pdf_base64": None,
        **extra,
    }


def request_certificates(
    http: httpx.Client, issuer: str, tokens: dict[str, str], creds: dict[str, Any]
) -> list[dict[str, Any]]:
    today = _ecuador_today()
    year = today.year
    fiscalia, juzgado = bearer(tokens["authority"]), bearer(tokens["second_authority"])
    maria, carlos, nobody = scenario.MARIA, scenario.CARLOS, scenario.NOBODY
    # Signed once and kept: a re-run must send the very same oficio, or it would be a
    # different oficio under a number already used (409).
    # (named -v2 since the letter names the cédula, which the issuer now requires)
    oficio_pdf = OUT / f"oficio-FGE-FPP-{year}-000101-O-v2.b64"
    if not oficio_pdf.exists():
        oficio_pdf.write_text(signed_oficio_base64(
            number=f"FGE-FPP-{year}-000101-O", when=today, subject=maria.full_name,
            identity=str(maria.national_id), signatory="Dra. Ana Torres",
            signer_p12=Path(creds["demo_oficio_signer_p12"]),
        ))  # fmt: skip
    signed = oficio_pdf.read_text()
    requests = [
        ("Fiscalía, signed oficio, María José (passport renewed)", fiscalia, {
            "oficio": _oficio(f"FGE-FPP-{year}-000101-O", today, pdf_base64=signed),
            "subject": {"national_id": maria.national_id, "full_name": maria.full_name}}),
        ("Unidad Judicial, Carlos Andrés by his Colombian passport", juzgado, {
            "oficio": _oficio(f"UJP-QUITO-{year}-000202-O", today, signatory_name="Dr. Pablo Vera",
                              signatory_role="Juez", case_number="17282-2025-00123"),
            "subject": {"document_type": "PASSPORT", "document_number": "AQ123987",
                        "issuing_country": "COL", "full_name": carlos.full_name}}),
        ("Unidad Judicial, Jorge Luis (never crossed a border)", juzgado, {
            "oficio": _oficio(f"UJP-QUITO-{year}-000203-O", today, signatory_name="Dr. Pablo Vera",
                              signatory_role="Juez", case_number="17282-2025-00124"),
            "subject": {"national_id": nobody.national_id, "full_name": nobody.full_name}}),
        ("Fiscalía, an oficio with several mistakes", fiscalia, {
            "oficio": _oficio(f"FGE-FPP-{year - 1}-000999-O", today, addressee="Registro Civil",
                              case_number="ABC-123"),
            "subject": {"national_id": "1710034066", "full_name": "X"},
            "period": {"from": f"{year}-12-31", "to": f"{year}-01-01"}}),
    ]  # fmt: skip
    say(f"[3/4] Authorities request {len(requests)} certificates")
    issued = []
    for title, headers, body in requests:
        response = http.post(f"{issuer}/v1/certificate-requests", json=body, headers=headers)
        data = response.json()
        say(f"      {title}: HTTP {response.status_code}")
        status = data.get("status")
        if response.status_code == 422 or status == "REJECTED":
            for error in data.get("errors", []):
                say(f"        ✗ {error['code']}: {error['message']}")
            continue
        if status == "PENDING":
            say(
                "        PENDING: the registry did not answer; the issuer retries in the background"
            )
            continue
        if status != "ISSUED":
            say(f"        {data.get('title', data)}")
            continue
        certificate = data["certificate"]
        pdf = http.get(certificate["pdf_url"], headers=headers)
        pdf.raise_for_status()
        path = OUT / f"{certificate['number']}.pdf"
        path.write_bytes(pdf.content)
        say(
            f"        ✓ {certificate['number']}: {certificate['movement_count']} movements → {path}"
        )
        say(f"          verify: {certificate['verify_url']}")
        issued.append({**certificate, "path": path})
    return issued


def verify(http: httpx.Client, issuer: str, certificates: list[dict[str, Any]]) -> None:
    say("[4/4] Anyone can verify: by code, and by uploading the PDF bytes")
    for certificate in certificates:
        by_code = http.get(certificate["verify_url"]).json()
        upload = http.post(
            f"{issuer}/v1/verify",
            content=certificate["path"].read_bytes(),
            headers={"Content-Type": "application/pdf"},
        ).json()
        subject = by_code["subject"]
        say(f"      {certificate['number']}: {by_code['status']}, subject {subject}")
        say(f"        upload: match={upload['match']} signature_valid={upload['signature_valid']}")
    if certificates:
        # Inside the first page's objects, i.e. within the signed byte range (the
        # signature's own /Contents hole is not covered by the digest).
        tampered = bytearray(certificates[0]["path"].read_bytes())
        tampered[600] ^= 0x01
        result = http.post(
            f"{issuer}/v1/verify",
            content=bytes(tampered),
            headers={"Content-Type": "application/pdf"},
        ).json()
        say(f"      one flipped byte in {certificates[0]['number']}: match={result['match']} "
            f"signature_valid={result['signature_valid']}")  # fmt: skip


def _ecuador_today() -> date:
    from datetime import datetime

    return datetime.now(ZoneInfo("America/Guayaquil")).date()


if __name__ == "__main__":
    sys.exit(main())
