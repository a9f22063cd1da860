"""How long a person has been in Ecuador and abroad: pure interval arithmetic over stays.

No database, no clock: the ordered crossings in, the summary out, so the rules can be
table-tested and compared with a day-by-day reference. Work is proportional to the
number of crossings, never to the number of days.

The rules (the contract's "POST /v1/stays/summary"):
- A stay runs from an ENTRY to the next EXIT; every Ecuador calendar day on which the
  person was in Ecuador counts, the day of entry and the day of exit included. A stay
  with no exit yet runs to ``on``.
- A second ENTRY with no EXIT between continues the same stay (``CONSECUTIVE_ENTRY``).
  An EXIT with no ENTRY before it starts nothing: its stay has no ``entered_on``, only
  its exit day is counted (the days before are not guessed), and ``UNKNOWN_ENTRY`` is
  reported (with ``CONSECUTIVE_EXIT`` when the previous crossing was an EXIT too).
- Art. 6 (retornado): from the ENTRY that began the current stay, walking back, a stay
  of at most 90 days is a visit and does not end the time abroad; the first longer stay
  (or one whose entry is unknown, so its length is) ends it, and ``abroad_from`` is the
  EXIT that closed it. When every earlier stay was a visit, the time abroad counts from
  the earliest registered EXIT.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from services.registry.calendar import ecuador_date

Direction = Literal["ENTRY", "EXIT"]
Status = Literal["IN_ECUADOR", "ABROAD", "UNKNOWN"]

WINDOWS = (90, 180, 365)
VISIT_MAX_DAYS = 90  # "visits of up to three consecutive months" (art. 6)
TWO_YEARS_DAYS = 730


@dataclass(frozen=True, slots=True)
class Stay:
    entered_on: date | None
    left_on: date | None
    days: int


@dataclass(frozen=True, slots=True)
class VisitorAllowance:
    allowance_days: int
    window_days: int
    days_used: int
    days_remaining: int
    overstay_days: int


@dataclass(frozen=True, slots=True)
class Returnee:
    abroad_from: date
    returned_on: date
    days_abroad: int
    more_than_two_years_abroad: bool


@dataclass(frozen=True, slots=True)
class Summary:
    status: Status
    days_in_ecuador: dict[int, int]
    stays: list[Stay]
    visitor_allowance: VisitorAllowance | None
    returnee: Returnee | None
    anomalies: list[str]


_STATUS_AFTER: dict[Direction | None, Status] = {
    None: "UNKNOWN",
    "ENTRY": "IN_ECUADOR",
    "EXIT": "ABROAD",
}


def _days(first: date, last: date) -> int:
    return (last - first).days + 1


def build_stays(
    crossings: Iterable[tuple[Direction, datetime]], *, on: date
) -> tuple[list[Stay], Status, list[str]]:
    """Stays from crossings ordered by time; crossings after ``on`` are ignored."""
    stays: list[Stay] = []
    anomalies: list[str] = []
    entered_on: date | None = None  # set while a stay is open
    previous: Direction | None = None

    def flag(code: str) -> None:
        if code not in anomalies:
            anomalies.append(code)

    for direction, moment in crossings:
        day = ecuador_date(moment)
        if day > on:
            break
        if direction == "ENTRY":
            if entered_on is not None:
                flag("CONSECUTIVE_ENTRY")
            else:
                entered_on = day
        elif entered_on is not None:
            stays.append(Stay(entered_on, day, _days(entered_on, day)))
            entered_on = None
        else:
            if previous == "EXIT":
                flag("CONSECUTIVE_EXIT")
            flag("UNKNOWN_ENTRY")
            stays.append(Stay(None, day, 1))
        previous = direction
    if entered_on is not None:
        stays.append(Stay(entered_on, None, _days(entered_on, on)))
    return stays, _STATUS_AFTER[previous], anomalies


def _intervals(stays: Sequence[Stay], on: date) -> list[tuple[date, date]]:
    """Each stay as its first and last counted day, overlapping days merged."""
    merged: list[tuple[date, date]] = []
    for stay in stays:
        last = stay.left_on or on
        first = stay.entered_on or last
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def days_in_window(intervals: Sequence[tuple[date, date]], *, on: date, days: int) -> int:
    """Days in Ecuador among the ``days`` days ending on ``on`` (``on`` included)."""
    window_start = on - timedelta(days=days - 1)
    total = 0
    for first, last in intervals:
        first, last = max(first, window_start), min(last, on)
        if first <= last:
            total += _days(first, last)
    return total


def returnee(stays: Sequence[Stay], status: Status) -> Returnee | None:
    """Art. 6, for someone in Ecuador on ``on`` who has left before; else None."""
    if status != "IN_ECUADOR" or len(stays) < 2:
        return None
    returned_on = stays[-1].entered_on
    assert returned_on is not None  # an open stay always began with an ENTRY
    ended_by = stays[0]
    for stay in reversed(stays[:-1]):
        if stay.entered_on is None or stay.days > VISIT_MAX_DAYS:
            ended_by = stay
            break
    assert ended_by.left_on is not None  # only the last stay can be open
    days_abroad = (returned_on - ended_by.left_on).days
    return Returnee(
        abroad_from=ended_by.left_on,
        returned_on=returned_on,
        days_abroad=days_abroad,
        more_than_two_years_abroad=days_abroad > TWO_YEARS_DAYS,
    )


def summarise(
    crossings: Iterable[tuple[Direction, datetime]],
    *,
    on: date,
    ecuadorian: bool,
    foreign: bool,
    allowance_days: int = 90,
    window_days: int = 365,
) -> Summary:
    """The whole summary. ``crossings``: the person's non-annulled movements, oldest first
    (ties in the order they are stored: time, then movement id)."""
    stays, status, anomalies = build_stays(crossings, on=on)
    intervals = _intervals(stays, on)
    allowance = None
    if foreign:
        used = days_in_window(intervals, on=on, days=window_days)
        allowance = VisitorAllowance(
            allowance_days=allowance_days,
            window_days=window_days,
            days_used=used,
            days_remaining=max(0, allowance_days - used),
            overstay_days=max(0, used - allowance_days),
        )
    return Summary(
        status=status,
        days_in_ecuador={n: days_in_window(intervals, on=on, days=n) for n in WINDOWS},
        stays=stays,
        visitor_allowance=allowance,
        returnee=returnee(stays, status) if ecuadorian else None,
        anomalies=anomalies,
    )
