"""``make bench``: the services against bare references, driven by ``wrk``, same run.

Registry and issuer run as real uvicorn processes (one worker each, free loopback
ports) on their own scratch databases; the bare reference (``bare_app``: FastAPI, the
same validation, one asyncpg statement) runs beside them on the same PostgreSQL. Each
scenario drives both with the same wrk script and a fixed connection count, so the
*ratios* survive a slower or busier machine. Results: ``.data/bench/results.json``,
``results.md`` and ``results.png``. ``SCALE=1m|10m`` runs the national-scale scenario
instead (see ``tests/bench/scale.py``); ``BENCH_PROFILE=1`` adds py-spy profiles.
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import asyncpg

from services.registry.clients.service import create_client
from shared import migrate
from shared.db import make_engine, make_sessionmaker
from tests.bench import issuer, plain_render, registry, report, wrk
from tests.bench.servers import rss_mb, uvicorn_server
from tests.support.postgres import postgres_server, scratch_database

# Rate limits exist to stop abuse; a load test is the one client they must not throttle.
NO_LIMITS = {
    "REGISTRY_RATE_LIMIT_PER_TOKEN": "off",
    "ISSUER_RATE_LIMIT_PER_TOKEN": "off",
    "ISSUER_RATE_LIMIT_PUBLIC": "off",
    "REGISTRY_RATE_LIMIT_PUBLIC": "off",
}


async def token(url: str, scopes: str) -> str:
    engine = make_engine(url, pool_size=1, application_name="bench")
    async with make_sessionmaker(engine)() as session, session.begin():
        created = await create_client(session, name=f"bench {scopes}", scopes=scopes)
    await engine.dispose()
    return created.token


async def control_points(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT code FROM control_points WHERE active")
    finally:
        await conn.close()
    return ",".join(r["code"] for r in rows)


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo
                  if line.startswith("model name")), platform.processor())  # fmt: skip
    memory_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    return {"platform": platform.platform(), "cpu": model, "cpus": os.cpu_count(),
            "memory_gb": round(memory_kb / 1024 / 1024, 1), "python": platform.python_version(),
            "load_average_at_start": os.getloadavg()}  # fmt: skip


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    wrk.ensure_wrk()
    if scale := os.environ.get("SCALE"):
        from tests.bench import scale as national

        national.main(scale)
        return
    results: dict[str, Any] = {"machine": machine(), "connections": wrk.CONNECTIONS,
                               "duration": wrk.DURATION}  # fmt: skip
    with ExitStack() as stack:
        server = stack.enter_context(postgres_server())
        registry_db = stack.enter_context(scratch_database(server, "bench_registry"))
        bare_db = stack.enter_context(scratch_database(server, "bench_bare"))
        issuer_db = stack.enter_context(scratch_database(server, "bench_issuer"))
        print("==> migrating scratch registry and issuer databases", flush=True)
        migrate.upgrade("registry", registry_db)
        migrate.upgrade("issuer", issuer_db)
        writer = asyncio.run(token(registry_db, "movements:write"))
        reader = asyncio.run(token(registry_db, "history:read"))
        authority = asyncio.run(issuer.authority_token(issuer_db))
        # As under `make run`: INFO, one access line per request (written to a file, as a
        # terminal would take them). The bare reference logs nothing.
        registry_env = {**NO_LIMITS, "REGISTRY_DATABASE_URL": registry_db,
                        "REGISTRY_LOG_LEVEL": "INFO"}  # fmt: skip
        registry_log, issuer_log = registry.OUT / "registry.log", registry.OUT / "issuer.log"
        registry.OUT.mkdir(parents=True, exist_ok=True)
        for old in (registry_log, issuer_log):
            old.unlink(missing_ok=True)
        ours = stack.enter_context(
            uvicorn_server("services.registry.app:main_app", registry_env, log=registry_log)
        )
        bare = stack.enter_context(
            uvicorn_server(
                "tests.bench.bare_app:create_app",
                {
                    "BARE_DATABASE_URL": bare_db,
                    "BARE_CONTROL_POINTS": asyncio.run(control_points(registry_db)),
                },
            )
        )
        certificates = stack.enter_context(uvicorn_server("services.issuer.app:main_app", {
            **NO_LIMITS, "ISSUER_DATABASE_URL": issuer_db, "ISSUER_REGISTRY_URL": ours.url,
            "ISSUER_REGISTRY_TOKEN": reader, "ISSUER_LOG_LEVEL": "INFO"}, log=issuer_log))  # fmt: skip
        results["registry"] = registry.scenarios(ours, bare.url, writer, reader, registry_db)
        results["issuer"] = issuer.scenarios(certificates.url, ours.url, writer, authority)
        print("==> rendering alone against plain reportlab, same table", flush=True)
        results["issuer"]["rendering"] = plain_render.compare(issuer.bench_content())
        results["registry"]["rss_mb_after_load"] = rss_mb(ours.process.pid)
        results["issuer"]["rss_mb_after_load"] = rss_mb(certificates.process.pid)
        workers = int(os.environ.get("BENCH_WORKERS", "2"))
        if workers > 1:
            with uvicorn_server("services.registry.app:main_app", registry_env,
                                workers=workers, log=registry_log) as multi:  # fmt: skip
                results["workers"] = registry.with_workers(multi, writer, reader,
                                                           results["registry"])  # fmt: skip
        if os.environ.get("BENCH_PROFILE") == "1":
            from tests.bench import profile

            results["profile"] = profile.registry_profiles(ours, writer, reader)
    report.write(results)


if __name__ == "__main__":
    main()
