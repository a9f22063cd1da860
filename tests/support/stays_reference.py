"""A plain, day-by-day reference for the stay summary, written apart from the service.

It walks the calendar one day at a time and keeps a *set of days* on which the person
was in Ecuador: a day counts when the person started it in Ecuador or crossed the
border on it. Stays are found by cutting the crossings at each EXIT. Slow and obvious
on purpose: the service's interval arithmetic must agree with it on every field.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

ECUADOR_OFFSET = timedelta(hours=-5)  # no daylight saving since 1993


@dataclass(frozen=True)
class Crossing:
    movement_id: UUID
    direction: str
    occurred_at: datetime
    annulled: bool = False

    @property
    def day(self) -> date:
        return (self.occurred_at.astimezone(UTC) + ECUADOR_OFFSET).date()


def counted(crossings: list[Crossing], on: date) -> list[Crossing]:
    kept = [c for c in crossings if not c.annulled and c.day <= on]
    return sorted(kept, key=lambda c: (c.occurred_at, c.movement_id))


def days_in_ecuador(crossings: list[Crossing], on: date) -> set[date]:
    if not crossings:
        return set()
    by_day: dict[date, list[Crossing]] = {}
    for c in crossings:
        by_day.setdefault(c.day, []).append(c)
    present: set[date] = set()
    inside = False
    day = crossings[0].day
    while day <= on:
        todays = by_day.get(day, [])
        if inside or todays:
            present.add(day)
        for c in todays:
            inside = c.direction == "ENTRY"
        day += timedelta(days=1)
    return present


def stays(crossings: list[Crossing], on: date) -> list[dict[str, Any]]:
    found = []
    since_exit: list[Crossing] = []
    for c in crossings:
        if c.direction == "ENTRY":
            since_exit.append(c)
            continue
        entered = since_exit[0].day if since_exit else None
        span = _span(entered, c.day) if entered else [c.day]
        found.append({"entered_on": entered, "left_on": c.day, "days": len(span)})
        since_exit = []
    if since_exit:
        entered = since_exit[0].day
        found.append({"entered_on": entered, "left_on": None, "days": len(_span(entered, on))})
    return found


def _span(first: date, last: date) -> list[date]:
    days = []
    while first <= last:
        days.append(first)
        first += timedelta(days=1)
    return days


def anomalies(crossings: list[Crossing], found_stays: list[dict[str, Any]]) -> set[str]:
    found = {"UNKNOWN_ENTRY"} if any(s["entered_on"] is None for s in found_stays) else set()
    for before, after in itertools.pairwise(crossings):
        if before.direction == after.direction:
            found.add(f"CONSECUTIVE_{after.direction}")
    return found


def returnee(found_stays: list[dict[str, Any]], status: str) -> dict[str, Any] | None:
    if status != "IN_ECUADOR" or len(found_stays) < 2:
        return None
    *before, current = found_stays
    long_ones = [s for s in before if s["entered_on"] is None or s["days"] > 90]
    abroad_from = long_ones[-1]["left_on"] if long_ones else before[0]["left_on"]
    returned_on = current["entered_on"]
    days_abroad = len(_span(abroad_from, returned_on)) - 1
    return {
        "abroad_from": abroad_from,
        "returned_on": returned_on,
        "days_abroad": days_abroad,
        "more_than_two_years_abroad": days_abroad > 730,
    }


def summary(
    crossings: list[Crossing],
    *,
    on: date,
    nationality: str,
    national_id: str | None,
    allowance_days: int = 90,
    window_days: int = 365,
) -> dict[str, Any]:
    kept = counted(crossings, on)
    present = days_in_ecuador(kept, on)

    def last(n: int) -> int:
        return sum(1 for d in present if on - timedelta(days=n) < d <= on)

    status = {"ENTRY": "IN_ECUADOR", "EXIT": "ABROAD"}[kept[-1].direction] if kept else "UNKNOWN"
    found = stays(kept, on)
    allowance = None
    if nationality != "ECU":
        used = last(window_days)
        allowance = {
            "allowance_days": allowance_days, "window_days": window_days, "days_used": used,
            "days_remaining": max(0, allowance_days - used),
            "overstay_days": max(0, used - allowance_days),
        }  # fmt: skip
    ecuadorian = nationality == "ECU" or national_id is not None
    return {
        "status": status,
        "days_in_ecuador": {"last_90": last(90), "last_180": last(180), "last_365": last(365)},
        "stays": found,
        "visitor_allowance": allowance,
        "returnee": returnee(found, status) if ecuadorian else None,
        "anomalies": anomalies(kept, found),
        "last_movement_id": kept[-1].movement_id if kept else None,
    }
