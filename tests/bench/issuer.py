"""The issuer's scenario for ``make bench``: a certificate end to end over HTTP
(oficio rules, registry history over HTTP, render, sign, gapless number, store)
against the bare floor of the same work: rendering and signing the same content
in-process, nothing else."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from services.issuer.authorities.service import create_authority
from services.issuer.certificates.rendering import (
    CertificateContent,
    CertificateMovement,
    render_certificate,
)
from services.issuer.signing import create_development_pki, load_signer, sign_certificate_pdf
from shared.db import make_engine, make_sessionmaker
from tests.bench.load import Result, run
from tests.support.factories import a_cedula, at, movement

MOVEMENTS = 40
KEYS = Path(".data/keys")


async def authority_token(issuer_db: str) -> str:
    engine = make_engine(issuer_db, pool_size=1, application_name="bench")
    async with make_sessionmaker(engine)() as session, session.begin():
        created = await create_authority(session, name="Fiscalía (bench)", kind="PROSECUTOR_OFFICE")
    await engine.dispose()
    return created.token


def _content(n: int) -> CertificateContent:
    start = datetime(2015, 1, 1, 12, tzinfo=UTC)
    return CertificateContent(
        number=f"CMM-2026-{n:06d}", issued_at=datetime.now(UTC), authority_name="Fiscalía (bench)",
        oficio_number=f"FGE-BENCH-2026-{n:06d}-O", oficio_date=date.today(), case_number=None,
        subject_full_name="PEREZ GOMEZ MARIA JOSE", subject_identity="Cédula 1710034065",
        subject_nationality="ECU", period_from=None, period_to=date.today(),
        movements=[
            CertificateMovement(
                occurred_at=start + timedelta(days=30 * i), direction="ENTRY" if i % 2 else "EXIT",
                control_point_name="Aeropuerto Internacional Mariscal Sucre (Quito)",
                document="PASAPORTE ECU A1234567", other_country="COL", transport="AÉREO AV8374",
            )
            for i in range(MOVEMENTS)
        ],
        verification_code="ABCD-EFGH-JKMN-PQRS", verify_url="http://127.0.0.1:8002/v1/verify/X",
    )  # fmt: skip


def bare_render_and_sign(requests: int) -> Result:
    """The same work without HTTP, database, rules or registry: one thread, back to back."""
    pki = create_development_pki(KEYS)
    identity = load_signer(pki.signer_p12, pki.passphrase)
    latencies = []
    started = time.perf_counter()
    for n in range(requests):
        t0 = time.perf_counter()
        sign_certificate_pdf(render_certificate(_content(n)), identity)
        latencies.append((time.perf_counter() - t0) * 1000)
    return Result(
        "bare render + sign (40 mov.)", requests, time.perf_counter() - started, latencies, 0
    )


async def issue(registry: str, issuer: str, terminal: str, authority: str, requests: int) -> Result:
    cedula = a_cedula(400_001)
    history = [
        movement(direction="EXIT" if i % 2 == 0 else "ENTRY", occurred_at=at(i * 30),
                 traveller={"national_id": cedula, "document_number": "BENCH1"})
        for i in range(MOVEMENTS)
    ]  # fmt: skip
    today = date.today()
    async with httpx.AsyncClient(timeout=120) as http:
        seeded = await http.post(
            f"{registry}/v1/movements/batch", json={"movements": history},
            headers={"Authorization": f"Bearer {terminal}"},
        )  # fmt: skip
        seeded.raise_for_status()

        def request(n: int) -> asyncio.Future[httpx.Response]:
            body = {
                "oficio": {"number": f"FGE-BENCH-{today.year}-{n + 1:06d}-O",
                           "date": today.isoformat(), "addressee": "Subsecretaría de Migración",
                           "signatory_name": "Dra. Ana Torres", "signatory_role": "Fiscal"},
                "subject": {"national_id": cedula},
            }  # fmt: skip
            return http.post(  # type: ignore[return-value]
                f"{issuer}/v1/certificate-requests", json=body,
                headers={"Authorization": f"Bearer {authority}"},
            )  # fmt: skip

        return await run(
            "POST /v1/certificate-requests (40 mov.)", request,
            requests=requests, concurrency=4, ok=lambda r: r.status_code == 201,
        )  # fmt: skip
