"""Issuer fault scenarios: kill -9 with requests PENDING, and a hung (SIGSTOP) registry.

Certificates are counted in the issuer's database: each request issued exactly once,
and the year's numbers gapless across everything the scenarios issued.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date
from typing import Any

import httpx

from tests.chaos.scenarios import Outcome
from tests.chaos.stack import Stack
from tests.chaos.terminal import Tally, Terminal, run_pool
from tests.support.factories import a_cedula, at, movement

ISSUE_BUDGET_SECONDS = 300.0


def _oficio(prefix: str, n: int, national_id: str) -> dict[str, Any]:
    today = date.today()
    return {
        "oficio": {"number": f"FGE-{prefix}-{today.year}-{n:06d}-O", "date": today.isoformat(),
                   "addressee": "Subsecretaría de Migración",
                   "signatory_name": "Dra. Ana Torres", "signatory_role": "Fiscal"},
        "subject": {"national_id": national_id},
    }  # fmt: skip


async def _seed_history(stack: Stack, http: httpx.AsyncClient, national_id: str) -> None:
    history = [
        movement(direction="EXIT" if i % 2 == 0 else "ENTRY", occurred_at=at(i * 30),
                 traveller={"national_id": national_id, "document_number": f"H{national_id}"})
        for i in range(6)
    ]  # fmt: skip
    await Terminal(http, stack.registry.url, stack.terminal_token).batch(history)


async def _issued(stack: Stack, prefix: str) -> int:
    rows = await stack.fetch(
        stack.issuer_db,
        "SELECT count(*) AS n FROM certificate_requests "
        "WHERE status = 'ISSUED' AND oficio_number LIKE $1",
        f"FGE-{prefix}-%",
    )
    return int(rows[0]["n"])


async def _wait_issued(stack: Stack, prefix: str, at_least: int) -> int:
    deadline = time.monotonic() + ISSUE_BUDGET_SECONDS
    # Polls another process's database: there is no event to wait on.
    while (issued := await _issued(stack, prefix)) < at_least and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    return issued


async def _count_certificates(stack: Stack, outcome: Outcome, prefix: str) -> None:
    """stored = requests ISSUED with exactly one certificate; duplicated = extra
    certificates or requests; ``numbers_contiguous`` over every certificate of the year."""
    rows = await stack.fetch(
        stack.issuer_db,
        """SELECT r.oficio_number, r.status, count(c.id) AS certificates
           FROM certificate_requests r LEFT JOIN certificates c ON c.request_id = r.id
           WHERE r.oficio_number LIKE $1 GROUP BY r.id""",
        f"FGE-{prefix}-%",
    )
    outcome.stored = sum(1 for r in rows if r["status"] == "ISSUED" and r["certificates"] == 1)
    outcome.duplicated = sum(max(r["certificates"] - 1, 0) for r in rows) + max(
        len(rows) - len({r["oficio_number"] for r in rows}), 0
    )
    years = await stack.fetch(
        stack.issuer_db,
        "SELECT year, array_agg(sequence ORDER BY sequence) AS seqs FROM certificates GROUP BY year",
    )
    outcome.checks["numbers_contiguous"] = all(
        list(y["seqs"]) == list(range(1, len(y["seqs"]) + 1)) for y in years
    )
    outcome.checks["certificates_in_database"] = sum(len(y["seqs"]) for y in years)


async def _ensure_up(stack: Stack) -> None:
    for service in (stack.registry, stack.issuer):
        if service.process is None or service.process.poll() is not None:
            await asyncio.to_thread(service.start)


async def issuer_kill(stack: Stack, *, requests: int) -> Outcome:
    """Registry down, ``requests`` oficios answered 202 PENDING; kill -9 the issuer; bring
    the registry back and restart the issuer; kill -9 it again mid-way through issuing
    the backlog; restart; every request must end ISSUED exactly once."""
    outcome = Outcome("kill -9 issuer with requests PENDING", Tally())
    await _ensure_up(stack)
    national_id = a_cedula(4_000_001)
    async with httpx.AsyncClient(timeout=60) as http:
        await _seed_history(stack, http, national_id)
        authority = Terminal(http, stack.issuer.url, stack.authority_token)
        outcome.tally = authority.tally
        stack.registry.kill()
        outcome.faults.append("registry killed (unreachable)")
        answers: list[int] = []

        async def ask(n: int) -> None:
            answers.append((await authority.send("/v1/certificate-requests",
                                                 _oficio("CHAOSK", n, national_id))).status_code)  # fmt: skip

        await run_pool([lambda n=n: ask(n) for n in range(1, requests + 1)], concurrency=4)
        outcome.checks["answers_while_registry_down"] = sorted(set(answers))
        stack.issuer.kill()
        outcome.faults.append(f"kill -9 issuer with {answers.count(202)} requests PENDING")
        await asyncio.to_thread(stack.registry.start)
        await asyncio.to_thread(stack.issuer.start)
        issued = await _wait_issued(stack, "CHAOSK", max(requests // 3, 1))
        stack.issuer.kill()
        outcome.faults.append(f"kill -9 issuer again while issuing ({issued} issued)")
        await asyncio.to_thread(stack.issuer.start)
        await _wait_issued(stack, "CHAOSK", requests)
    outcome.expected = requests
    await _count_certificates(stack, outcome, "CHAOSK")
    return outcome


async def registry_hung(stack: Stack, *, requests: int) -> Outcome:
    """SIGSTOP the registry: each request is answered 202 (after the issuer's registry
    timeout); SIGCONT: each is issued exactly once by the background worker."""
    outcome = Outcome("hung registry (SIGSTOP), then SIGCONT", Tally())
    await _ensure_up(stack)
    national_id = a_cedula(4_000_002)
    async with httpx.AsyncClient(timeout=120) as http:
        await _seed_history(stack, http, national_id)
        authority = Terminal(http, stack.issuer.url, stack.authority_token)
        outcome.tally = authority.tally
        stack.registry.freeze()
        outcome.faults.append("SIGSTOP registry")
        answers: list[int] = []
        seconds: list[float] = []

        async def ask(n: int) -> None:
            started = time.monotonic()
            body = _oficio("CHAOSH", n, national_id)
            answers.append((await authority.send("/v1/certificate-requests", body)).status_code)
            seconds.append(round(time.monotonic() - started, 1))

        try:
            await run_pool([lambda n=n: ask(n) for n in range(1, requests + 1)], concurrency=2)
            ready = await http.get(f"{stack.issuer.url}/readyz")
            outcome.checks["issuer_readyz_while_registry_hung"] = ready.status_code
        finally:
            stack.registry.thaw()
        outcome.faults.append("SIGCONT registry")
        outcome.checks["answers_while_registry_hung"] = sorted(set(answers))
        outcome.checks["seconds_to_answer"] = sorted(seconds)
        await _wait_issued(stack, "CHAOSH", requests)
    outcome.expected = requests
    await _count_certificates(stack, outcome, "CHAOSH")
    return outcome
