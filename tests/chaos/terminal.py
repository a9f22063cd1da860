"""A border terminal that follows the retry rules of docs/reliability.md, and a tally of
every answer it saw.

The rules: the ``movement_id`` is minted once, at capture, and every retry re-sends the
same body; transport errors, 429 and 5xx are retried with capped exponential backoff and
jitter, honouring ``Retry-After``; 200 (already stored) and 201 are both success; any
other 4xx is final (fix the data or the credentials, never blindly re-send).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
import stamina

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_CAP_SECONDS = 2.0


class RetryableAnswer(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"{response.status_code} from {response.request.url.path}")
        self.response = response


def _backoff(exc: Exception) -> bool | float:
    """Retry transport errors and retryable answers; Retry-After wins over the backoff."""
    if isinstance(exc, httpx.TransportError):
        return True
    if isinstance(exc, RetryableAnswer):
        retry_after = exc.response.headers.get("Retry-After", "")
        if retry_after.isdigit():
            return min(float(retry_after), RETRY_AFTER_CAP_SECONDS)
        return True
    return False


def is_clean_failure(response: httpx.Response) -> bool:
    """What the contract promises for a failure the client may retry."""
    return (
        response.status_code in (429, 503)
        and response.headers.get("content-type", "").startswith(PROBLEM_JSON)
        and "Retry-After" in response.headers
    )


@dataclass
class Tally:
    """Every HTTP attempt and its outcome; unclean answers are kept for the report."""

    attempts: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)
    unclean: list[str] = field(default_factory=list)

    def record(self, response: httpx.Response) -> None:
        self.attempts += 1
        self.statuses[response.status_code] += 1
        if response.status_code >= 500 and not is_clean_failure(response):
            kind = response.headers.get("content-type", "?")
            self.unclean.append(f"{response.status_code} {kind} {response.text[:120]!r}")

    def record_transport_error(self, exc: httpx.TransportError) -> None:
        self.attempts += 1
        self.transport_errors[type(exc).__name__] += 1

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    @property
    def clean_503(self) -> int:
        return self.statuses[503] - sum(1 for u in self.unclean if u.startswith("503"))


class Terminal:
    def __init__(
        self, http: httpx.AsyncClient, base_url: str, token: str, *, budget_seconds: float = 180
    ) -> None:
        self.http = http
        self.base_url = base_url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.budget_seconds = budget_seconds
        self.tally = Tally()

    async def send(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """POST ``body`` until a final answer; the same bytes on every attempt."""
        async for attempt in stamina.retry_context(
            on=_backoff, attempts=None, timeout=self.budget_seconds,
            wait_initial=0.05, wait_max=1.0, wait_jitter=0.1,
        ):  # fmt: skip
            with attempt:
                try:
                    response = await self.http.post(
                        self.base_url + path, json=body, headers=self.headers
                    )
                except httpx.TransportError as exc:
                    self.tally.record_transport_error(exc)
                    raise
                self.tally.record(response)
                if response.status_code == 429 or response.status_code >= 500:
                    raise RetryableAnswer(response)
        return response

    async def movement(self, body: dict[str, Any]) -> httpx.Response:
        response = await self.send("/v1/movements", body)
        if response.status_code not in (200, 201):
            raise AssertionError(f"movement refused: {response.status_code} {response.text}")
        return response

    async def batch(self, bodies: list[dict[str, Any]]) -> httpx.Response:
        response = await self.send("/v1/movements/batch", {"movements": bodies})
        statuses = {r["status"] for r in response.json()["results"]} if response.is_success else {}
        if response.status_code != 200 or not statuses <= {"created", "duplicate"}:
            raise AssertionError(f"batch refused: {response.status_code} {response.text[:500]}")
        return response


async def run_pool(
    jobs: Iterable[Callable[[], Awaitable[object]]],
    *,
    concurrency: int,
    on_done: Callable[[], None] = lambda: None,
) -> None:
    """Run every job, ``concurrency`` at a time; the first failure cancels the rest."""
    queue = list(jobs)
    queue.reverse()

    async def worker() -> None:
        while queue:
            job = queue.pop()
            await job()
            on_done()

    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(worker())
