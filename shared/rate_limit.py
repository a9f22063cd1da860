"""Abuse limits: per token on authenticated routes, per client address on public ones.

Backed by ``limits`` (sliding-window counters). The default storage is the process's
memory: with several worker processes each counts alone, so the effective limit is
the configured one times the number of workers; point ``*_RATE_LIMIT_STORAGE`` at a
shared store (``async+redis://...``) where that matters.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

from shared.errors import TooManyRequests

OFF = "off"


def parse_limit(notation: str) -> RateLimitItem | None:
    """``"600/minute"`` → the limit; ``"off"`` → None. ValueError when malformed."""
    notation = notation.strip()
    if notation.lower() == OFF:
        return None
    return parse(notation)


class RateLimits:
    def __init__(self, *, per_token: str, per_address: str, storage_uri: str = "async+memory://"):
        self._token_limit = parse_limit(per_token)
        self._address_limit = parse_limit(per_address)
        self._limiter = SlidingWindowCounterRateLimiter(storage_from_string(storage_uri))

    async def per_token(self, client_id: str) -> None:
        await self._hit(self._token_limit, "token", client_id)

    async def per_address(self, address: str) -> None:
        await self._hit(self._address_limit, "address", address)

    async def _hit(self, limit: RateLimitItem | None, kind: str, key: str) -> None:
        if limit is None or await self._limiter.hit(limit, kind, key):
            return
        stats = await self._limiter.get_window_stats(limit, kind, key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise TooManyRequests(
            f"Too many requests: the limit is {limit}. Try again in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )
