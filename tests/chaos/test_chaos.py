"""The ``make chaos`` scenarios, smaller, inside the suite (``pytest -m chaos`` selects
them; ``-m "not chaos"`` leaves them out). Real processes: both services under uvicorn
and a private PostgreSQL cluster, all on free 127.0.0.1 ports; nothing here depends on
the machine's shared server, which is never stopped.

No timing is asserted: only what is stored, what is lost or duplicated, and the shape
of every failure answer.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.chaos.scenarios import database_stop, registry_kill
from tests.chaos.scenarios_issuer import issuer_kill, registry_hung
from tests.chaos.stack import Stack, chaos_stack

pytestmark = pytest.mark.chaos


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with chaos_stack(registry_timeout_seconds=2.0) as stack:
        stack.registry.start()
        stack.issuer.start()
        yield stack


async def test_registry_killed_during_posts_loses_and_duplicates_nothing(stack: Stack) -> None:
    outcome = await registry_kill(stack, movements=1000, kills=1)

    assert len(outcome.faults) == 1
    assert (outcome.stored, outcome.lost, outcome.duplicated) == (1000, 0, 0)
    assert outcome.tally.unclean == []


async def test_database_stopped_gives_clean_503s_and_loses_nothing(stack: Stack) -> None:
    outcome = await database_stop(stack, singles=600, batches=4, batch_size=50)

    assert (outcome.stored, outcome.lost, outcome.duplicated) == (800, 0, 0)
    assert outcome.checks["readyz_during_outage"] == 503
    assert outcome.checks["readyz_after_recovery"] == 200  # no restart needed
    # Every failure is a 503 problem+json with Retry-After, never a 500, and no
    # connection is dropped (the process stays up; only its database went away).
    assert outcome.tally.unclean == []
    assert outcome.tally.statuses[503] > 0
    assert dict(outcome.tally.transport_errors) == {}


async def test_issuer_killed_with_requests_pending_issues_each_once(stack: Stack) -> None:
    outcome = await issuer_kill(stack, requests=6)

    assert outcome.checks["answers_while_registry_down"] == [202]
    assert (outcome.stored, outcome.lost, outcome.duplicated) == (6, 0, 0)
    assert outcome.checks["numbers_contiguous"] is True


async def test_hung_registry_gives_202_then_issues_after_sigcont(stack: Stack) -> None:
    outcome = await registry_hung(stack, requests=2)

    assert outcome.checks["answers_while_registry_hung"] == [202]
    assert outcome.checks["issuer_readyz_while_registry_hung"] == 200
    assert (outcome.stored, outcome.lost, outcome.duplicated) == (2, 0, 0)
    assert outcome.checks["numbers_contiguous"] is True
