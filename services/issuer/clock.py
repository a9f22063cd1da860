"""Ecuador's calendar: "today" for oficio dates and periods is America/Guayaquil's."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

ECUADOR = ZoneInfo("America/Guayaquil")


def now() -> datetime:
    return datetime.now(UTC)


def today_in_ecuador() -> date:
    """A FastAPI dependency as well: tests override it to pin the calendar."""
    return now().astimezone(ECUADOR).date()
