"""``make chaos``: every fault scenario at full size, with real processes, then a table.

Loopback only (services and a private PostgreSQL cluster on free 127.0.0.1 ports),
bounded (each scenario has a time budget; the whole run stops by itself), and it
leaves nothing running. Sizes can be changed with CHAOS_MOVEMENTS, CHAOS_SINGLES,
CHAOS_BATCHES, CHAOS_PENDING and CHAOS_HUNG. Results go to stdout and to
``.data/chaos/results.json``; the services' logs to ``.data/chaos/``. Exits non-zero
when anything was lost or duplicated or a failure answer was not a clean 503.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from tests.chaos.scenarios import Outcome, database_stop, registry_kill
from tests.chaos.scenarios_issuer import issuer_kill, registry_hung
from tests.chaos.stack import Stack, chaos_stack

OUT = Path(".data/chaos")
SCENARIO_BUDGET_SECONDS = 600


def scenarios() -> list[Callable[[Stack], Awaitable[Outcome]]]:
    movements = int(os.environ.get("CHAOS_MOVEMENTS", "5000"))
    singles = int(os.environ.get("CHAOS_SINGLES", "2000"))
    batches = int(os.environ.get("CHAOS_BATCHES", "10"))
    pending = int(os.environ.get("CHAOS_PENDING", "30"))
    hung = int(os.environ.get("CHAOS_HUNG", "3"))
    return [
        lambda s: registry_kill(s, movements=movements, kills=3),
        lambda s: database_stop(s, singles=singles, batches=batches, batch_size=100),
        lambda s: issuer_kill(s, requests=pending),
        lambda s: registry_hung(s, requests=hung),
    ]


async def _run(stack: Stack) -> list[Outcome]:
    await asyncio.to_thread(stack.registry.start)
    outcomes = []
    for scenario in scenarios():
        async with asyncio.timeout(SCENARIO_BUDGET_SECONDS):
            outcome = await scenario(stack)
        print(f"==> {outcome.scenario}: done", flush=True)
        outcomes.append(outcome)
    return outcomes


def failures(outcome: Outcome) -> list[str]:
    """What the contract forbids, in words (empty when the scenario held)."""
    found = []
    if outcome.lost:
        found.append(f"{outcome.lost} lost")
    if outcome.duplicated:
        found.append(f"{outcome.duplicated} duplicated")
    if outcome.tally.unclean:
        found.append(f"{len(outcome.tally.unclean)} failure answers not a 503 problem+json")
    if outcome.checks.get("numbers_contiguous") is False:
        found.append("certificate numbers not contiguous")
    return found


def report(outcomes: list[Outcome]) -> None:
    header = ("scenario", "requests", "faults", "expected", "stored", "lost", "dup.", "5xx",
              "unclean", "resets")  # fmt: skip
    print()
    print(f"{header[0]:46}" + "".join(f"{h:>9}" for h in header[1:]))
    for o in outcomes:
        row = o.row()
        values = (row["requests"], row["faults"], row["expected"], row["stored"], row["lost"],
                  row["duplicated"], row["answers_5xx"], row["unclean_5xx"],
                  row["transport_errors"])  # fmt: skip
        print(f"{o.scenario:46}" + "".join(f"{v:>9}" for v in values))
    print()
    for o in outcomes:
        print(f"- {o.scenario}: answers {o.row()['statuses']}; {'; '.join(o.faults)}")
        for key, value in o.checks.items():
            print(f"    {key}: {value}")
        for unclean in sorted(set(o.tally.unclean))[:5]:
            print(f"    unclean: {unclean}")


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("stamina").setLevel(logging.ERROR)  # each retry is counted, not logged
    OUT.mkdir(parents=True, exist_ok=True)
    print("==> scratch PostgreSQL cluster, migrations, tokens", flush=True)
    with chaos_stack(log_dir=OUT) as stack:
        outcomes = asyncio.run(_run(stack))
    report(outcomes)
    (OUT / "results.json").write_text(json.dumps([o.row() for o in outcomes], indent=2) + "\n")
    broken = {o.scenario: failures(o) for o in outcomes if failures(o)}
    print(f"\nwritten to {OUT / 'results.json'}")
    if broken:
        print(f"FAILED: {broken}")
        sys.exit(1)


if __name__ == "__main__":
    main()
