"""A small closed-loop load generator: N requests, C in flight, latencies kept."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class Result:
    name: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    units_per_request: int = 1

    @property
    def throughput(self) -> float:
        return self.requests * self.units_per_request / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))]

    def row(self) -> dict[str, float | int | str]:
        return {
            "scenario": self.name,
            "requests": self.requests,
            "per_second": round(self.throughput, 1),
            "p50_ms": round(statistics.median(self.latencies_ms), 2),
            "p95_ms": round(self.percentile(0.95), 2),
            "p99_ms": round(self.percentile(0.99), 2),
            "errors": self.errors,
        }


async def run(
    name: str,
    call: Callable[[int], Awaitable[httpx.Response]],
    *,
    requests: int,
    concurrency: int,
    ok: Callable[[httpx.Response], bool] = lambda r: r.status_code < 300,
    units_per_request: int = 1,
) -> Result:
    latencies: list[float] = []
    errors = 0
    next_index = 0
    done = 0

    async def worker() -> None:
        nonlocal next_index, errors, done
        while next_index < requests:
            index = next_index
            next_index += 1
            started = time.perf_counter()
            response = await call(index)
            latencies.append((time.perf_counter() - started) * 1000)
            if not ok(response):
                errors += 1
            done += 1
            if done % max(1, requests // 4) == 0:
                print(f"    {name}: {done}/{requests}", flush=True)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(
        name, requests, time.perf_counter() - started, latencies, errors, units_per_request
    )
