"""The set of active control point codes, cached in memory.

Movement validation checks the control point together with every other rule, so
it must be known before the body reaches the database; the list only changes by
migration, so a short cache saves a round trip per movement.
"""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.models import ControlPoint


class ControlPointCatalog:
    def __init__(self, *, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._active: frozenset[str] = frozenset()
        self._known: frozenset[str] = frozenset()
        self._loaded_at = float("-inf")

    async def refresh_if_stale(self, session: AsyncSession) -> None:
        if time.monotonic() - self._loaded_at < self.ttl_seconds:
            return
        rows = (await session.execute(select(ControlPoint.code, ControlPoint.active))).all()
        self._known = frozenset(code for code, _ in rows)
        self._active = frozenset(code for code, active in rows if active)
        self._loaded_at = time.monotonic()

    def invalidate(self) -> None:
        """Reload on the next refresh (after a migration changed the list, or in tests)."""
        self._loaded_at = float("-inf")

    def problem(self, code: str) -> str | None:
        """None when the code is usable, else why not."""
        if code in self._active:
            return None
        if code in self._known:
            return "CONTROL_POINT_INACTIVE"
        return "CONTROL_POINT_UNKNOWN"


# One per process: the movement schema consults it while validating a body.
CONTROL_POINTS = ControlPointCatalog(ttl_seconds=60.0)
