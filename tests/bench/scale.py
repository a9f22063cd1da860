"""``make bench SCALE=1m|10m``: history search and stays at national scale.

Loads a fresh registry database with ``national_data`` (COPY, realistic distribution),
checks every foreign key set-wise, ``VACUUM ANALYZE``s it, starts the registry (one
uvicorn worker) and drives history search with wrk: ordinary persons (a few crossings)
and frequent travellers (40 or more), then the stays summary for the same persons.
Reports disk per million movements, the load rate,
and writes ``.data/bench/scale-<SCALE>.json``; with both 1m and 10m present, the p99 ratio.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import asyncpg

from shared import migrate
from tests.bench import national_data, wrk
from tests.bench.registry import OUT
from tests.bench.servers import uvicorn_server
from tests.support.postgres import postgres_server, scratch_database

SIZES_SQL = """
SELECT c.relname, pg_table_size(c.oid) AS heap, pg_indexes_size(c.oid) AS indexes
FROM pg_class c
WHERE c.relname IN ('movements', 'persons', 'person_identifiers', 'annulments')
"""


def movements_for(scale: str) -> int:
    number, unit = scale[:-1], scale[-1].lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(unit)
    if factor is None:
        return int(scale)
    return int(float(number) * factor)


async def _prepare(url: str) -> dict[str, Any]:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("VACUUM ANALYZE")
        rows = await conn.fetch(SIZES_SQL)
        settings = {
            name: await conn.fetchval(f"SHOW {name}")
            for name in ("shared_buffers", "work_mem", "effective_cache_size")
        }
    finally:
        await conn.close()
    return {"bytes": {r["relname"]: {"heap": r["heap"], "indexes": r["indexes"]} for r in rows},
            "postgres": settings}  # fmt: skip


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    return round(kb / 1024, 1)


def main(scale: str) -> None:
    from tests.bench.__main__ import NO_LIMITS, machine, token

    wanted = movements_for(scale)
    result: dict[str, Any] = {"scale": scale, "machine": machine()}
    with postgres_server() as server, scratch_database(server, "bench_scale") as db:
        migrate.upgrade("registry", db)
        print(f"==> generating {wanted:,} movements with COPY", flush=True)
        loaded = asyncio.run(national_data.generate(db, wanted))
        broken = asyncio.run(national_data.verify(db))
        assert not any(broken.values()), broken
        print("==> VACUUM ANALYZE", flush=True)
        stats = asyncio.run(_prepare(db))
        total = sum(v["heap"] + v["indexes"] for v in stats["bytes"].values())
        millions = loaded.movements / 1e6
        result |= {
            "movements": loaded.movements, "persons": loaded.persons,
            "identifiers": loaded.identifiers, "annulments": loaded.annulments,
            "load_seconds": round(loaded.seconds, 1),
            "load_movements_per_s": round(loaded.movements / loaded.seconds),
            **stats, "mb_per_million_movements": round(total / 2**20 / millions, 1),
            "index_mb_per_million_movements": round(
                sum(v["indexes"] for v in stats["bytes"].values()) / 2**20 / millions, 1),
            "foreign_keys_broken": broken,
        }  # fmt: skip
        files = {"ordinary": loaded.cedulas, "frequent": loaded.frequent}
        for name, cedulas in files.items():
            (OUT / f"scale-{name}.txt").write_text("\n".join(cedulas) + "\n")
        reader = asyncio.run(token(db, "history:read"))
        env = {**NO_LIMITS, "REGISTRY_DATABASE_URL": db, "REGISTRY_LOG_LEVEL": "WARNING"}
        with uvicorn_server("services.registry.app:main_app", env) as registry:
            searches = {}
            for name in files:
                wanted_env = {"BENCH_TOKEN": reader,
                              "BENCH_IDENTITIES": str(OUT / f"scale-{name}.txt")}  # fmt: skip
                wrk.run("warm-up", registry.url, "history.lua", env=wanted_env, duration="3s")
                searches[name] = wrk.run(
                    f"POST /v1/history/search ({name} persons, {scale})", registry.url,
                    "history.lua", env=wanted_env,
                ).row()  # fmt: skip
            result["history_search"] = searches
            stays = {}
            for name in files:
                wanted_env = {"BENCH_TOKEN": reader, "BENCH_PATH": "/v1/stays/summary",
                              "BENCH_IDENTITIES": str(OUT / f"scale-{name}.txt")}  # fmt: skip
                stays[name] = wrk.run(
                    f"POST /v1/stays/summary ({name} persons, {scale})", registry.url,
                    "history.lua", env=wanted_env,
                ).row()  # fmt: skip
            result["stays_summary"] = stays
            result["registry_rss_mb"] = _rss_mb(registry.process.pid)
    write(result)


def write(result: dict[str, Any]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"scale-{result['scale']}.json").write_text(json.dumps(result, indent=2))
    others = {p.stem.removeprefix("scale-"): json.loads(p.read_text())
              for p in sorted(OUT.glob("scale-*.json"))}  # fmt: skip
    lines = ["| scale | movements | persons | MB per M mov. | load mov/s | search | req/s "
             "| p50 ms | p99 ms |", "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    endpoints = {"history_search": "history", "stays_summary": "stays"}
    for label, r in others.items():
        for key, endpoint in endpoints.items():
            for kind, s in r.get(key, {}).items():
                lines.append(f"| {label} | {r['movements']:,} | {r['persons']:,} | "
                             f"{r['mb_per_million_movements']} | {r['load_movements_per_s']:,} | "
                             f"{endpoint}, {kind} | {s['per_second']} | {s['p50_ms']} | "
                             f"{s['p99_ms']} |")  # fmt: skip
    if "1m" in others and "10m" in others:
        for key, endpoint in endpoints.items():
            for kind in ("ordinary", "frequent"):
                small, large = others["1m"].get(key, {}), others["10m"].get(key, {})
                if kind in small and kind in large:
                    ratio = large[kind]["p99_ms"] / small[kind]["p99_ms"]
                    lines.append(f"\np99 at 10m / 1m ({endpoint}, {kind}): {ratio:.2f}x")
    table = "\n".join(lines) + "\n"
    (OUT / "scale.md").write_text(table)
    print("\n" + table)
