"""Ecuador's calendar: the days the registry counts in, and when a minor comes of age."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

ECUADOR = ZoneInfo("America/Guayaquil")
ADULT_AGE = 18


def ecuador_date(moment: datetime) -> date:
    """The calendar day in Ecuador on which ``moment`` happened (UTC-5, no DST)."""
    return moment.astimezone(ECUADOR).date()


def today_in_ecuador() -> date:
    return datetime.now(ECUADOR).date()


def birthday_in(year: int, birth_date: date) -> date:
    """The birthday in ``year``; 29 February birthdays fall on 1 March in common years."""
    if birth_date.month == 2 and birth_date.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return birth_date.replace(year=year)


def is_minor_on(birth_date: date, day: date) -> bool:
    """Under 18 on ``day``: a minor until the day before the 18th birthday."""
    return day < birthday_in(birth_date.year + ADULT_AGE, birth_date)
