"""Instructions per request of the registry's worker, counted by callgrind.

``python -m tests.bench.instructions [post|history] [requests]``

On a VM whose speed drifts by tens of percent within minutes, a 5% change cannot be seen
in requests per second; instructions can (within ~2% between runs). The real app with
its lifespan and a real database, driven in-process (no network, no wrk, one request in
flight), under ``valgrind --tool=callgrind`` with instrumentation switched on only after
the warm-up and off at the last request: the figure is the worker's own work per request
(PostgreSQL is another process, not counted). Needs valgrind (``apt-get install
valgrind``); log level as ``make run`` (INFO) unless ``REGISTRY_LOG_LEVEL`` says otherwise.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from shared import migrate
from tests.bench.__main__ import NO_LIMITS, token
from tests.bench.national_data import cedula
from tests.support.factories import movement
from tests.support.postgres import postgres_server, scratch_database

WARM_UP = 50


def _bodies(scenario: str, count: int, first: int) -> list[bytes]:
    if scenario == "post":
        people = [cedula(first + n // 2) for n in range(count)]  # each crosses twice
        items = [
            movement(direction="EXIT" if n % 2 == 0 else "ENTRY",
                     occurred_at=f"2024-01-0{1 + n % 2}T12:00:00Z",
                     traveller={"national_id": people[n], "document_number": f"I{first + n // 2}"})
            for n in range(count)
        ]  # fmt: skip
        return [json.dumps(item).encode() for item in items]
    people = [cedula(first + n % WARM_UP) for n in range(count)]  # seeded by the parent
    return [
        json.dumps({"identity": {"national_id": p}, "purpose": "CERTIFICATE",
                    "reference": "INSTRUCTIONS-1"}).encode()
        for p in people
    ]  # fmt: skip


def _callgrind(*command: str) -> None:
    """Blocking on purpose: nothing of this process may run while counting is switched."""
    subprocess.run(["callgrind_control", *command, str(os.getpid())], check=True,
                   capture_output=True)  # fmt: skip


async def _drive(scenario: str, count: int, tokens: dict[str, str]) -> None:
    """In the child, under callgrind: warm up, count ``count`` requests, dump."""
    from services.registry.app import main_app

    app = main_app()
    path = "/v1/movements" if scenario == "post" else "/v1/history/search"
    bearer = tokens["writer" if scenario == "post" else "reader"]
    warm = _bodies(scenario, WARM_UP, 3_000_000)
    measured = _bodies(scenario, count, 3_100_000)

    async def one(body: bytes) -> int:
        scope: dict[str, Any] = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8001), "state": {},
            "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"authorization", f"Bearer {bearer}".encode())],
        }  # fmt: skip
        sent: list[dict[str, Any]] = []
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if delivered:  # the client never disconnects
                await asyncio.Event().wait()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        return int(sent[0]["status"])

    async with app.router.lifespan_context(app):
        statuses = {await one(body) for body in warm}
        assert statuses <= {200, 201}, f"warm-up answered {statuses}"
        _callgrind("-i", "on")
        for body in measured:
            await one(body)
        _callgrind("-d")


def _seed(registry_env: dict[str, str], writer: str) -> None:
    """One movement for each of the warm-up's persons (the history scenario reads them)."""
    from services.registry.app import create_app
    from services.registry.settings import RegistrySettings

    async def seed() -> None:
        app = create_app(RegistrySettings(database_url=registry_env["REGISTRY_DATABASE_URL"]))
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://registry") as client,
        ):
            items = [movement(traveller={"national_id": cedula(3_000_000 + n),
                                         "document_number": f"S{n}"}) for n in range(WARM_UP)]  # fmt: skip
            answer = await client.post("/v1/movements/batch", json={"movements": items},
                                       headers={"Authorization": f"Bearer {writer}"})  # fmt: skip
            answer.raise_for_status()

    asyncio.run(seed())


def main() -> None:
    arguments = sys.argv[1:]
    if arguments[:1] == ["--child"]:  # the process under callgrind (started below)
        _, scenario, count, tokens = arguments
        asyncio.run(_drive(scenario, int(count), json.loads(tokens)))
        return
    scenario = arguments[0] if arguments else "history"
    count = int(arguments[1]) if len(arguments) > 1 else 300
    if scenario not in ("post", "history"):
        raise SystemExit("usage: python -m tests.bench.instructions [post|history] [requests]")
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("needs valgrind: apt-get install valgrind")
    with postgres_server() as server, scratch_database(server, "instructions") as url:
        migrate.upgrade("registry", url)
        tokens = {"writer": asyncio.run(token(url, "movements:write")),
                  "reader": asyncio.run(token(url, "history:read"))}  # fmt: skip
        env = {**os.environ, **NO_LIMITS, "REGISTRY_DATABASE_URL": url,
               "REGISTRY_LOG_LEVEL": os.environ.get("REGISTRY_LOG_LEVEL", "INFO")}  # fmt: skip
        _seed(env, tokens["writer"])
        with tempfile.TemporaryDirectory() as out:
            subprocess.run(
                ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                 f"--callgrind-out-file={out}/callgrind.out.%p", sys.executable, "-m",
                 "tests.bench.instructions", "--child", scenario, str(count), json.dumps(tokens)],
                env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            dumps = sorted(Path(out).glob("callgrind.out.*.1"))
            assert dumps, "callgrind wrote no dump for the measured requests"
            summary = next(
                line for line in dumps[0].read_text().splitlines() if line.startswith("summary:")
            )
    total = int(summary.split()[1])
    print(f"{scenario}: {total / count:,.0f} instructions per request "
          f"({count} requests, one in flight, log level {env['REGISTRY_LOG_LEVEL']})")  # fmt: skip


if __name__ == "__main__":
    main()
