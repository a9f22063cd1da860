"""The fault scenarios of ``make chaos`` and of the ``chaos`` tests, with real processes.

Each returns an :class:`Outcome`: what was sent, which faults were injected, what the
database really holds afterwards (counted with SQL, not taken from the answers), and
every answer that was not what the contract promises. The callers decide what to
assert; ``make chaos`` prints the table, the tests require zeros.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.chaos.stack import Stack
from tests.chaos.terminal import Tally, Terminal, run_pool
from tests.support.factories import a_cedula, at, movement


@dataclass
class Outcome:
    scenario: str
    tally: Tally
    faults: list[str] = field(default_factory=list)
    expected: int = 0
    stored: int = 0
    duplicated: int = 0
    notes: list[str] = field(default_factory=list)
    # Observations the tests assert on (readiness during an outage, answer codes...).
    checks: dict[str, Any] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return self.expected - self.stored

    def row(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "requests": self.tally.attempts,
            "faults": len(self.faults),
            "expected": self.expected,
            "stored": self.stored,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "answers_5xx": self.tally.server_errors,
            "unclean_5xx": len(self.tally.unclean),
            "transport_errors": sum(self.tally.transport_errors.values()),
            "statuses": {str(k): v for k, v in sorted(self.tally.statuses.items())},
            "fault_log": self.faults,
            "notes": self.notes,
            "checks": self.checks,
        }


def _bodies(prefix: str, seed: int, n: int) -> list[dict[str, Any]]:
    """``n`` distinct crossings, five per traveller, alternating direction; document
    numbers start with ``prefix`` so the scenario's rows can be counted by content."""
    return [
        movement(
            direction="ENTRY" if i % 2 == 0 else "EXIT",
            occurred_at=at(i % 5 * 30),
            traveller={"national_id": a_cedula(seed + i // 5), "document_number": f"{prefix}{i // 5}"},
        )
        for i in range(n)
    ]  # fmt: skip


async def _count_stored(stack: Stack, outcome: Outcome, prefix: str, ids: list[str]) -> None:
    """Stored = ours found by id; duplicated = the same crossing stored more than once
    (same document, instant and direction), whatever its id."""
    rows = await stack.fetch(
        stack.registry_db,
        """SELECT count(*) FILTER (WHERE movement_id::text = ANY($2)) AS ours,
                  count(*) - count(DISTINCT (document_number, occurred_at, direction)) AS twins
           FROM movements WHERE document_number LIKE $1 || '%'""",
        prefix,
        ids,
    )
    outcome.stored, outcome.duplicated = rows[0]["ours"], rows[0]["twins"]


class Progress:
    """How many jobs are done; the chaos task waits for a point to strike at."""

    def __init__(self) -> None:
        self.done = 0
        self._changed = asyncio.Event()

    def tick(self) -> None:
        self.done += 1
        self._changed.set()

    async def reach(self, threshold: int) -> None:
        while self.done < threshold:
            self._changed.clear()
            await self._changed.wait()


async def registry_kill(stack: Stack, *, movements: int, kills: int = 2) -> Outcome:
    """kill -9 the registry ``kills`` times while a terminal posts ``movements`` singles
    (16 in flight), restarting it each time on the same port."""
    outcome = Outcome("kill -9 registry during terminal posts", Tally())
    bodies = _bodies("KILL", 1_000_000, movements)
    progress = Progress()
    async with httpx.AsyncClient(timeout=30) as http:
        terminal = Terminal(http, stack.registry.url, stack.terminal_token)
        outcome.tally = terminal.tally

        async def chaos() -> None:
            for k in range(1, kills + 1):
                await progress.reach(movements * k // (kills + 1))
                stack.registry.kill()
                outcome.faults.append(f"kill -9 registry after {progress.done} stored")
                await asyncio.sleep(0.3)
                await asyncio.to_thread(stack.registry.start)

        jobs = [lambda b=b: terminal.movement(b) for b in bodies]
        await asyncio.gather(run_pool(jobs, concurrency=16, on_done=progress.tick), chaos())
    outcome.expected = movements
    await _count_stored(stack, outcome, "KILL", [b["movement_id"] for b in bodies])
    return outcome


async def database_stop(
    stack: Stack, *, singles: int, batches: int, batch_size: int, outage_seconds: float = 3.0
) -> Outcome:
    """``pg_ctl stop -m immediate`` while singles (8 in flight) and batches (2 in flight)
    are being posted; PostgreSQL is started again ``outage_seconds`` later. The registry
    process is never restarted: it must recover by itself."""
    outcome = Outcome("PostgreSQL stopped (immediate) during posts", Tally())
    single_bodies = _bodies("DBSTOP", 2_000_000, singles)
    batch_bodies = _bodies("DBBATCH", 3_000_000, batches * batch_size)
    chunks = [batch_bodies[i : i + batch_size] for i in range(0, len(batch_bodies), batch_size)]
    progress = Progress()
    async with httpx.AsyncClient(timeout=30) as http:
        terminal = Terminal(http, stack.registry.url, stack.terminal_token)
        outcome.tally = terminal.tally

        async def probe(label: str) -> None:
            try:
                answer = await http.get(f"{stack.registry.url}/readyz")
                outcome.checks[f"readyz_{label}"] = answer.status_code
            except httpx.TransportError as exc:
                outcome.checks[f"readyz_{label}"] = type(exc).__name__

        async def chaos() -> None:
            await progress.reach(singles // 3)
            await asyncio.to_thread(stack.cluster.stop, "immediate")
            outcome.faults.append(f"PostgreSQL stopped (immediate) after {progress.done} stored")
            await asyncio.sleep(outage_seconds / 2)
            await probe("during_outage")
            await asyncio.sleep(outage_seconds / 2)
            await asyncio.to_thread(stack.cluster.start)
            outcome.faults.append(f"PostgreSQL started again {outage_seconds:.0f} s later")

        singles_jobs = [lambda b=b: terminal.movement(b) for b in single_bodies]
        batch_jobs = [lambda c=c: terminal.batch(c) for c in chunks]
        await asyncio.gather(
            run_pool(singles_jobs, concurrency=8, on_done=progress.tick),
            run_pool(batch_jobs, concurrency=2),
            chaos(),
        )
        await probe("after_recovery")
    outcome.expected = singles + batches * batch_size
    ids = [b["movement_id"] for b in single_bodies + batch_bodies]
    await _count_stored(stack, outcome, "DB", ids)
    return outcome
