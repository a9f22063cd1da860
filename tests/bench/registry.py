"""The registry's scenarios for ``make bench``: each one drives the registry and the bare
reference with the same wrk script, one after the other, in the same run."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tests.bench import wrk
from tests.bench.servers import Server, children, cpu_seconds, rss_mb
from tests.support.factories import a_cedula, at, movement

SWEEP_DURATION = os.environ.get("BENCH_SWEEP_DURATION", "8s")
SWEEP_CONNECTIONS = [int(c) for c in os.environ.get("BENCH_SWEEP", "1,8,32,64").split(",")]
ROUNDS = 2
BATCH_CONNECTIONS = int(os.environ.get("BENCH_BATCH_CONNECTIONS", "4"))
# A batch takes seconds on a busy machine and wrk counts only completed requests.
BATCH_DURATION = os.environ.get("BENCH_BATCH_DURATION", "30s")
# History length -> how many persons have it. Seeded through each side's batch endpoint.
HISTORY_SIZES = {1: 300, 10: 200, 50: 100, 200: 25}
OUT = Path(".data/bench")


def pair(
    name: str, ours: str, bare: str, script: str, *, ours_env: dict[str, str],
    env: dict[str, str] | None = None, server: Server | None = None, database: str | None = None,
    **options: Any,
) -> dict[str, Any]:  # fmt: skip
    # Alternate the two sides (ABAB): on a shared machine the load drifts within a minute,
    # and back-to-back halves keep that drift out of the ratio.
    duration = options.pop("duration", wrk.DURATION)
    half = f"{max(1, int(duration.rstrip('s')) // ROUNDS)}s"
    mine_parts, bare_parts, cpu, sessions = [], [], 0.0, 0
    for _ in range(ROUNDS):
        opened = new_sessions(database) if database else 0
        before = cpu_seconds(server.process.pid) if server else 0.0
        mine_parts.append(wrk.run(name, ours, script, env=ours_env, duration=half, **options))
        cpu += cpu_seconds(server.process.pid) - before if server else 0.0
        # The "before" count's own connection is a session too.
        sessions += new_sessions(database) - opened - 1 if database else 0
        bare_parts.append(wrk.run(f"bare {name}", bare, script, env=env, duration=half,
                                  **options))  # fmt: skip
    mine, reference = wrk.merge(mine_parts), wrk.merge(bare_parts)
    return {
        **mine.row(),
        "units_per_request": mine.units_per_request,
        # What one core of the service process sustains (PostgreSQL's CPU not included).
        "worker_cpu_s": round(cpu, 2),
        # PostgreSQL backends forked while the registry ran: the pool's churn.
        "postgres_sessions_opened": sessions,
        "per_worker_cpu_second": round(mine.requests * mine.units_per_request / cpu, 1)
        if cpu
        else None,
        "bare": reference.row(),
        "throughput_ratio": round(mine.per_second / reference.per_second, 3)
        if reference.per_second
        else None,
    }


def new_sessions(database: str) -> int:
    """Sessions PostgreSQL has opened on ``database`` so far (pg_stat_database)."""

    async def count() -> int:
        conn = await asyncpg.connect(database)
        try:
            await conn.execute("SELECT pg_stat_clear_snapshot()")
            value = await conn.fetchval(
                "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
            )
        finally:
            await conn.close()
        return int(value) - 1  # this connection

    return asyncio.run(count())


def seed_histories(base: str, token: str) -> dict[int, Path]:
    """Persons with histories of each size in HISTORY_SIZES; one identity file per size."""
    files = {}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=300, headers=headers) as http:
        for size, persons in HISTORY_SIZES.items():
            cedulas = [a_cedula(5_000_000 + size * 1000 + k) for k in range(persons)]
            items = [
                movement(
                    direction="EXIT" if j % 2 == 0 else "ENTRY", occurred_at=at(j * 3),
                    traveller={"national_id": c, "document_number": f"H{size}-{k}"},
                )
                for k, c in enumerate(cedulas)
                for j in range(size)
            ]  # fmt: skip
            for start in range(0, len(items), 1000):
                answer = http.post(
                    f"{base}/v1/movements/batch", json={"movements": items[start : start + 1000]}
                )
                answer.raise_for_status()
            files[size] = OUT / f"identities-{size}.txt"
            files[size].write_text("\n".join(cedulas) + "\n")
    return files


def scenarios(server: Server, bare: str, writer: str, reader: str, database: str) -> dict[str, Any]:
    ours = server.url
    OUT.mkdir(parents=True, exist_ok=True)
    write_env = {"BENCH_TOKEN": writer}
    read_env = {"BENCH_TOKEN": reader}
    results: dict[str, Any] = {"pairs": [], "sweeps": {}}
    print("==> POST /v1/movements, a new movement per request", flush=True)
    results["pairs"].append(
        pair(
            "POST /v1/movements",
            ours,
            bare,
            "movement.lua",
            ours_env=write_env,
            server=server,
            database=database,
        )
    )
    print(f"==> POST /v1/movements/batch, 1000 new movements, {BATCH_CONNECTIONS} in flight")
    results["pairs"].append(pair(
        "POST /v1/movements/batch (movements/s)", ours, bare, "batch.lua", ours_env=write_env,
        connections=BATCH_CONNECTIONS, units_per_request=1000, duration=BATCH_DURATION,
        server=server, database=database,
    ))  # fmt: skip
    print("==> seeding histories of 1, 10, 50 and 200 movements on both sides", flush=True)
    files = seed_histories(ours, writer)
    seed_histories(bare, writer)
    print("==> POST /v1/history/search, 50-movement histories", flush=True)
    results["pairs"].append(pair(
        "POST /v1/history/search (50 mov.)", ours, bare, "history.lua",
        ours_env={**read_env, "BENCH_IDENTITIES": str(files[50])},
        env={"BENCH_IDENTITIES": str(files[50])}, server=server, database=database,
    ))  # fmt: skip
    print("==> history search latency against history length", flush=True)
    results["sweeps"]["history_size"] = [
        {"size": size, **pair(
            f"history search ({size} mov.)", ours, bare, "history.lua",
            ours_env={**read_env, "BENCH_IDENTITIES": str(path)},
            env={"BENCH_IDENTITIES": str(path)}, duration=SWEEP_DURATION,
        )}
        for size, path in files.items()
    ]  # fmt: skip
    print("==> POST /v1/movements latency against connections", flush=True)
    results["sweeps"]["concurrency"] = [
        pair(f"POST /v1/movements (c={c})", ours, bare, "movement.lua", ours_env=write_env,
             connections=c, duration=SWEEP_DURATION)
        for c in SWEEP_CONNECTIONS
    ]  # fmt: skip
    return results


def with_workers(
    server: Server, writer: str, reader: str, single: dict[str, Any]
) -> dict[str, Any]:
    """The same write and read scenarios against ``uvicorn --workers N`` (``server``)."""
    workers = children(server.process.pid)
    print(f"==> the registry with {len(workers)} worker processes", flush=True)
    write = wrk.run(f"POST /v1/movements ({len(workers)} workers)", server.url, "movement.lua",
                    env={"BENCH_TOKEN": writer})  # fmt: skip
    read = wrk.run(f"POST /v1/history/search ({len(workers)} workers)", server.url,
                   "history.lua", env={"BENCH_TOKEN": reader,
                                       "BENCH_IDENTITIES": str(OUT / "identities-50.txt")})  # fmt: skip
    one = {p["scenario"].split(" (")[0]: p for p in single["pairs"]}
    return {
        "workers": len(workers),
        "rss_mb": {"master": rss_mb(server.process.pid), "each_worker": [rss_mb(w) for w in workers]},
        "post_movements": {**write.row(), "vs_one_worker": round(
            write.per_second / one["POST /v1/movements"]["per_second"], 2)},
        "history_search": {**read.row(), "vs_one_worker": round(
            read.per_second / one["POST /v1/history/search"]["per_second"], 2)},
    }  # fmt: skip
