"""The issuer's scenario for ``make bench``: a certificate end to end over HTTP
(oficio rules, registry history over HTTP, render, sign, gapless number, store)
against the bare floor of the same work: rendering and signing the same content
in-process, nothing else."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from services.issuer.authorities.service import create_authority
from services.issuer.certificates.rendering import (
    CertificateContent,
    CertificateMovement,
    render_certificate,
)
from services.issuer.seal.issuing import seal_for
from services.issuer.seal.keys import generate_seal_key
from services.issuer.signing import create_development_pki, load_signer, sign_certificate_pdf
from shared.db import make_engine, make_sessionmaker
from tests.bench import wrk
from tests.support.factories import a_cedula, at, movement

MOVEMENTS = 50
KEYS = Path(".data/keys")


async def authority_token(issuer_db: str) -> str:
    engine = make_engine(issuer_db, pool_size=1, application_name="bench")
    async with make_sessionmaker(engine)() as session, session.begin():
        created = await create_authority(session, name="Fiscalía (bench)", kind="PROSECUTOR_OFFICE")
    await engine.dispose()
    return created.token


_SEAL_KEY = generate_seal_key()


def _content(n: int) -> CertificateContent:
    """The certificate an issuance makes, sealed as the service seals it (the seal makes
    the QR code dense: about a third of the rendering)."""
    start = datetime(2015, 1, 1, 12, tzinfo=UTC)
    content = CertificateContent(
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
    return replace(content, seal=seal_for(content, {"national_id": "1710034065"}, _SEAL_KEY))


def bench_content() -> CertificateContent:
    """The 50-movement certificate the in-process floors render."""
    return _content(0)


def bare_render_and_sign(requests: int) -> list[float]:
    """The same work without HTTP, database, rules or registry: one thread, back to back.
    Returns each certificate's milliseconds."""
    pki = create_development_pki(KEYS)
    identity = load_signer(pki.signer_p12, pki.passphrase)
    latencies = []
    for n in range(requests):
        t0 = time.perf_counter()
        sign_certificate_pdf(render_certificate(_content(n)), identity)
        latencies.append((time.perf_counter() - t0) * 1000)
    return latencies


def seed_subject(registry: str, terminal: str) -> str:
    """Store a 50-movement history for one cédula; returns the cédula."""
    cedula = a_cedula(400_001)
    history = [
        movement(direction="EXIT" if i % 2 == 0 else "ENTRY", occurred_at=at(i * 30),
                 traveller={"national_id": cedula, "document_number": "BENCH1"})
        for i in range(MOVEMENTS)
    ]  # fmt: skip
    seeded = httpx.post(
        f"{registry}/v1/movements/batch", json={"movements": history},
        headers={"Authorization": f"Bearer {terminal}"}, timeout=120,
    )  # fmt: skip
    seeded.raise_for_status()
    return cedula


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))], 2)


def scenarios(issuer: str, registry: str, terminal: str, authority: str) -> dict[str, Any]:
    env = {"BENCH_TOKEN": authority, "BENCH_SUBJECT": seed_subject(registry, terminal)}
    duration = os.environ.get("BENCH_ISSUE_DURATION", "15s")
    print(f"==> certificates end to end ({MOVEMENTS} movements)", flush=True)
    sweep = [
        wrk.run(f"POST /v1/certificate-requests (c={c})", issuer, "issue.lua",
                connections=c, duration=duration, env=env).row()
        for c in (1, 4)
    ]  # fmt: skip
    print("==> the same certificate rendered and signed in-process, back to back", flush=True)
    local = bare_render_and_sign(int(os.environ.get("BENCH_CERTIFICATES", "30")))
    in_process = {
        "scenario": f"render + sign in-process ({MOVEMENTS} mov.)", "connections": 1,
        "requests": len(local), "per_second": round(1000 * len(local) / sum(local), 1),
        "p50_ms": _percentile(local, 0.5), "p95_ms": _percentile(local, 0.95),
        "p99_ms": _percentile(local, 0.99), "max_ms": round(max(local), 2), "errors": 0,
    }  # fmt: skip
    print("==> GET /livez while 20 issuances are in flight", flush=True)
    idle = wrk.run("GET /livez (idle)", f"{issuer}/livez", "livez.lua", connections=4,
                   duration="3s")  # fmt: skip
    with ThreadPoolExecutor(1) as background:
        load = background.submit(
            wrk.run, "POST /v1/certificate-requests (c=20)", issuer, "issue.lua",
            connections=20, duration="20s", env=env,
        )  # fmt: skip
        time.sleep(4)
        busy = wrk.run("GET /livez (20 issuances)", f"{issuer}/livez", "livez.lua",
                       connections=4, duration="10s")  # fmt: skip
        loaded = load.result()
    ours = sweep[0]
    return {
        "issuance": {
            **ours,
            "bare": in_process,
            "p50_ratio": round(ours["p50_ms"] / in_process["p50_ms"], 2),
        },
        "issuance_concurrency": [*sweep, loaded.row()],
        "livez": {"idle": idle.row(), "during_20_issuances": busy.row()},
    }
