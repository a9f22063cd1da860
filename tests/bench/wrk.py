"""Drive a server with ``wrk`` (a compiled load generator) and read its figures.

The runner prepends ``lua/prelude.lua`` to the scenario script: unique ids per request,
cédulas with their check digit, and a ``done()`` that prints one JSON line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LUA = Path(__file__).parent / "lua"
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
DURATION = os.environ.get("BENCH_DURATION", "10s")
_seed = iter(range(int.from_bytes(os.urandom(2)) * 8 + 1, 1 << 40))


def ensure_wrk() -> str:
    """Path of ``wrk``; installed from Debian's packages when missing (the bench only)."""
    if found := shutil.which("wrk"):
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    print("==> wrk not found: apt-get install -y wrk", flush=True)
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return shutil.which("wrk") or "wrk"


@dataclass(frozen=True)
class Figures:
    name: str
    connections: int
    requests: int
    seconds: float
    errors: int
    latency_ms: dict[str, float]
    units_per_request: int = 1

    @property
    def per_second(self) -> float:
        return self.requests * self.units_per_request / self.seconds if self.seconds else 0.0

    def row(self) -> dict[str, Any]:
        return {
            "scenario": self.name,
            "connections": self.connections,
            "requests": self.requests,
            "per_second": round(self.per_second, 1),
            "p50_ms": self.latency_ms["50"],
            "p95_ms": self.latency_ms["95"],
            "p99_ms": self.latency_ms["99"],
            "max_ms": self.latency_ms["max"],
            "errors": self.errors,
        }


def run(
    name: str,
    base_url: str,
    script: str,
    *,
    connections: int = CONNECTIONS,
    duration: str = DURATION,
    env: dict[str, str] | None = None,
    units_per_request: int = 1,
    timeout: str = "60s",
) -> Figures:
    """One wrk run: ``connections`` kept busy for ``duration`` (closed loop)."""
    body = (LUA / "prelude.lua").read_text() + "\n" + (LUA / script).read_text()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(body)
    threads = max(1, min(connections, 2))
    command = [ensure_wrk(), "-t", str(threads), "-c", str(connections), "-d", duration,
               "--timeout", timeout, "-s", handle.name, base_url]  # fmt: skip
    seed = next(_seed)
    print(f"    {name}: wrk -c {connections} -d {duration} ({script})", flush=True)
    try:
        out = subprocess.run(
            command, capture_output=True, text=True, check=True,
            env={**os.environ, **(env or {}), "BENCH_SEED": str(seed)},
        ).stdout  # fmt: skip
    finally:
        os.unlink(handle.name)
    line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON "))
    data = json.loads(line.removeprefix("BENCH_JSON "))
    errors = sum(data["errors"].values())
    latency = {k: round(v / 1000, 2) for k, v in data["latency_us"].items()}
    figures = Figures(name, connections, data["requests"], data["duration_us"] / 1e6, errors,
                      latency, units_per_request)  # fmt: skip
    row = figures.row()
    print(f"      {row['per_second']}/s p50 {row['p50_ms']} ms p99 {row['p99_ms']} ms "
          f"errors {errors}", flush=True)  # fmt: skip
    return figures


def merge(parts: list[Figures]) -> Figures:
    """Several runs of one scenario as one: counts add up; percentiles are the
    request-weighted mean of each run's (an approximation; the max is exact)."""
    requests = sum(p.requests for p in parts)
    weights = [p.requests / requests if requests else 1 / len(parts) for p in parts]
    latency = {
        key: round(sum(w * p.latency_ms[key] for w, p in zip(weights, parts, strict=True)), 2)
        for key in parts[0].latency_ms
    }
    latency["max"] = max(p.latency_ms["max"] for p in parts)
    first = parts[0]
    return Figures(first.name, first.connections, requests, sum(p.seconds for p in parts),
                   sum(p.errors for p in parts), latency, first.units_per_request)  # fmt: skip
