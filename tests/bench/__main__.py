"""``make bench``: the registry's hot paths against a bare reference, same run.

Each scenario runs twice over real loopback HTTP with the same load generator:
once against the registry, once against ``bare_app`` (FastAPI + one asyncpg
statement, no rules). Figures are reported as ratios, which survive a slower or
busier machine far better than absolute numbers. Results go to stdout and to
``.data/bench/results.json``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import platform
from pathlib import Path

import httpx

from services.registry.clients.service import create_client
from shared import migrate
from shared.db import make_engine, make_sessionmaker
from tests.bench.load import Result, run
from tests.bench.servers import uvicorn_server
from tests.support.factories import a_cedula, at, movement
from tests.support.postgres import postgres_server, scratch_database

SINGLE = int(os.environ.get("BENCH_SINGLE_REQUESTS", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
BATCHES = int(os.environ.get("BENCH_BATCHES", "6"))
SEARCHES = int(os.environ.get("BENCH_SEARCHES", "1000"))
CERTIFICATES = int(os.environ.get("BENCH_CERTIFICATES", "40"))
OUT = Path(".data/bench/results.json")


async def _token(url: str, scopes: str) -> str:
    engine = make_engine(url, pool_size=1, application_name="bench")
    async with make_sessionmaker(engine)() as session, session.begin():
        created = await create_client(session, name=f"bench {scopes}", scopes=scopes)
    await engine.dispose()
    return created.token


def _single_bodies(n: int) -> list[dict]:
    # 5 movements per traveller, alternating direction, like real crossings.
    return [
        movement(
            direction="ENTRY" if i % 2 == 0 else "EXIT",
            occurred_at=at(i % 5 * 30),
            traveller={"national_id": a_cedula(200_000 + i // 5), "document_number": f"S{i // 5}"},
        )
        for i in range(n)
    ]


def _batches(n: int) -> list[list[dict]]:
    # 20 travellers x 50 movements per batch: the history scenario reads these.
    return [
        [
            movement(
                direction="ENTRY" if j % 2 == 0 else "EXIT",
                occurred_at=at(j * 7),
                traveller={
                    "national_id": a_cedula(300_000 + b * 20 + i),
                    "document_number": f"B{b}-{i}",
                },
            )
            for i in range(20)
            for j in range(50)
        ]
        for b in range(n)
    ]


async def scenarios(
    registry: str, bare: str, token: str, reader: str
) -> list[tuple[Result, Result]]:
    terminal = {"Authorization": f"Bearer {token}"}
    history = {"Authorization": f"Bearer {reader}"}
    singles = _single_bodies(SINGLE)
    batches = _batches(BATCHES)
    pairs = []
    limits = httpx.Limits(max_connections=CONCURRENCY * 2)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        print(f"==> single movements: {SINGLE} requests, {CONCURRENCY} in flight", flush=True)
        pairs.append((
            await run("POST /v1/movements (new)",
                      lambda i: http.post(f"{registry}/v1/movements", json=singles[i], headers=terminal),
                      requests=SINGLE, concurrency=CONCURRENCY),
            await run("bare insert",
                      lambda i: http.post(f"{bare}/movements", json=singles[i]),
                      requests=SINGLE, concurrency=CONCURRENCY),
        ))  # fmt: skip
        print("==> the same movements again (terminal retries)", flush=True)
        pairs.append((
            await run("POST /v1/movements (replay)",
                      lambda i: http.post(f"{registry}/v1/movements", json=singles[i], headers=terminal),
                      requests=SINGLE, concurrency=CONCURRENCY),
            await run("bare insert (conflict)",
                      lambda i: http.post(f"{bare}/movements", json=singles[i]),
                      requests=SINGLE, concurrency=CONCURRENCY),
        ))  # fmt: skip
        print(f"==> batches: {BATCHES} x 1000 movements, 2 in flight", flush=True)
        pairs.append((
            await run("POST /v1/movements/batch (movements)",
                      lambda i: http.post(f"{registry}/v1/movements/batch",
                                          json={"movements": batches[i]}, headers=terminal),
                      requests=BATCHES, concurrency=2, units_per_request=1000),
            await run("bare executemany (movements)",
                      lambda i: http.post(f"{bare}/movements/batch", json={"movements": batches[i]}),
                      requests=BATCHES, concurrency=2, units_per_request=1000),
        ))  # fmt: skip
        people = BATCHES * 20
        print(f"==> history: {SEARCHES} searches of 50-movement histories", flush=True)
        pairs.append((
            await run("POST /v1/history/search (50 mov.)",
                      lambda i: http.post(f"{registry}/v1/history/search", headers=history, json={
                          "identity": {"national_id": a_cedula(300_000 + i % people)},
                          "purpose": "CERTIFICATE", "reference": "BENCH-1"}),
                      requests=SEARCHES, concurrency=CONCURRENCY),
            await run("bare select (50 rows)",
                      lambda i: http.post(f"{bare}/history", json={
                          "document_number": f"B{i % people // 20}-{i % people % 20}"}),
                      requests=SEARCHES, concurrency=CONCURRENCY),
        ))  # fmt: skip
    return pairs


def issuer_scenario(
    server: str, registry_db: str, registry: str, terminal: str
) -> tuple[Result, Result]:
    from tests.bench import issuer

    with scratch_database(server, "bench_issuer") as issuer_url:
        migrate.upgrade("issuer", issuer_url)
        authority = asyncio.run(issuer.authority_token(issuer_url))
        reader = asyncio.run(_token(registry_db, "history:read"))
        env = {"ISSUER_DATABASE_URL": issuer_url, "ISSUER_REGISTRY_URL": registry,
               "ISSUER_REGISTRY_TOKEN": reader, "ISSUER_LOG_LEVEL": "WARNING"}  # fmt: skip
        print(f"==> certificates: {CERTIFICATES} requests, 4 in flight", flush=True)
        with uvicorn_server("services.issuer.app:main_app", env) as issuer_base:
            ours = asyncio.run(
                issuer.issue(registry, issuer_base, terminal, authority, CERTIFICATES)
            )
        return ours, issuer.bare_render_and_sign(CERTIFICATES)


def report(pairs: list[tuple[Result, Result]]) -> list[dict]:
    rows = []
    print()
    print(f"{'scenario':38} {'per s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}   vs bare")
    for ours, bare in pairs:
        for result in (ours, bare):
            row = result.row()
            print(f"{row['scenario']:38} {row['per_second']:>9} {row['p50_ms']:>8} "
                  f"{row['p99_ms']:>8} {row['errors']:>6}", end="")  # fmt: skip
            if result is ours:
                ratio = ours.throughput / bare.throughput
                print(
                    f"   {ratio:.2f}x throughput, {row['p50_ms'] / bare.row()['p50_ms']:.2f}x p50"
                )
            else:
                print()
        rows.append(
            {
                **ours.row(),
                "bare": bare.row(),
                "throughput_ratio": round(ours.throughput / bare.throughput, 3),
            }
        )
    return rows


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    with postgres_server() as server, scratch_database(server, "bench_registry") as registry_url, \
            scratch_database(server, "bench_bare") as bare_url:  # fmt: skip
        print("==> migrating a scratch registry database", flush=True)
        migrate.upgrade("registry", registry_url)
        token = asyncio.run(_token(registry_url, "movements:write"))
        reader = asyncio.run(_token(registry_url, "history:read"))
        with uvicorn_server("services.registry.app:main_app",
                            {"REGISTRY_DATABASE_URL": registry_url, "REGISTRY_LOG_LEVEL": "WARNING"}) as registry, \
                uvicorn_server("tests.bench.bare_app:create_app", {"BARE_DATABASE_URL": bare_url}) as bare:  # fmt: skip
            pairs = asyncio.run(scenarios(registry, bare, token, reader))
            pairs.append(issuer_scenario(server, registry_url, registry, token))
    rows = report(pairs)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                               "concurrency": CONCURRENCY, "results": rows}, indent=2))  # fmt: skip
    print(f"\nwritten to {OUT}")


if __name__ == "__main__":
    main()
