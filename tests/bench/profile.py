"""py-spy profiles of the registry under wrk load (``BENCH_PROFILE=1 make bench``).

py-spy samples the uvicorn process from outside (no code change, idle frames left out),
so the figures are shares of the CPU the worker itself spends. Raw collapsed stacks go to
``.data/bench/profile-*.txt`` (feed them to flamegraph.pl or speedscope); the summary
groups frames by the layer they belong to.
"""

from __future__ import annotations

import collections
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.bench import wrk
from tests.bench.registry import OUT
from tests.bench.servers import Server

SECONDS = 15
# First match wins, checked from the leaf up: where a sample's CPU time is spent.
LAYERS = [
    ("asyncpg", ("asyncpg/",)),
    ("sqlalchemy", ("sqlalchemy/",)),
    ("pydantic", ("pydantic/", "pydantic_core/")),
    ("json", ("json/",)),
    ("logging", ("logging/", "structlog/")),
    ("metrics", ("prometheus",)),
    ("http server (uvicorn, h11, httptools)", ("uvicorn/", "h11/", "httptools/")),
    ("starlette/fastapi", ("starlette/", "fastapi/")),
    ("project code", ("services/", "shared/")),
    ("asyncio", ("asyncio/",)),
]


def _layer(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, needles in LAYERS:
            if any(needle in frame for needle in needles):
                return name
    return "other"


def summarise(raw: Path, top: int = 12) -> dict[str, Any]:
    total = 0
    by_layer: collections.Counter[str] = collections.Counter()
    leaf: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = stack.split(";")
        total += count
        by_layer[_layer(frames)] += count
        leaf[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count

    def share(counter: collections.Counter[str]) -> list[tuple[str, float]]:
        return [(k, round(100 * v / total, 1)) for k, v in counter.most_common(top)]

    return {"samples": total, "by_layer_pct": share(by_layer), "self_pct": share(leaf),
            "inclusive_pct": share(inclusive)}  # fmt: skip


def profile(name: str, server: Server, script: str, env: dict[str, str]) -> dict[str, Any]:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    raw = OUT / f"profile-{name}.txt"
    recorder = subprocess.Popen(
        [spy, "record", "--pid", str(server.process.pid), "--duration", str(SECONDS),
         "--rate", "250", "--format", "raw", "--output", str(raw), "--nonblocking"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1)
    figures = wrk.run(f"{name} (profiled)", server.url, script, env=env,
                      duration=f"{SECONDS - 2}s")  # fmt: skip
    recorder.wait(timeout=60)
    return {"load": figures.row(), **summarise(raw)}


def registry_profiles(server: Server, writer: str, reader: str) -> dict[str, Any]:
    print("==> py-spy profiles of the registry under load", flush=True)
    identities = str(OUT / "identities-50.txt")
    return {
        "post_movement": profile("post-movement", server, "movement.lua", {"BENCH_TOKEN": writer}),
        "history_search": profile("history-search", server, "history.lua",
                                  {"BENCH_TOKEN": reader, "BENCH_IDENTITIES": identities}),
    }  # fmt: skip
