"""The stay counting rules, called where they live (no database): worked examples from
the contract, then property-based comparison with the day-by-day reference."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.registry.stays.counting import summarise
from tests.support import stays_reference as reference
from tests.support.stays_reference import Crossing

EC = timezone(timedelta(hours=-5))


def at(day: str, clock: str = "12:00", tz: timezone = EC) -> datetime:
    """A moment given in Ecuador time, expressed in ``tz`` (same instant)."""
    moment = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=EC)
    return moment.astimezone(tz)


def run(crossings: list[tuple[str, datetime]], on: str, *, nationality: str = "ECU",
        national_id: str | None = None, allowance: int = 90, window: int = 365) -> dict[str, Any]:  # fmt: skip
    result = summarise(
        crossings, on=date.fromisoformat(on),
        ecuadorian=nationality == "ECU" or national_id is not None,
        foreign=nationality != "ECU", allowance_days=allowance, window_days=window,
    )  # fmt: skip
    return _plain(result)


def _plain(result: Any) -> dict[str, Any]:
    plain = dataclasses.asdict(result)
    plain["days_in_ecuador"] = {f"last_{n}": v for n, v in plain["days_in_ecuador"].items()}
    return plain


def d(value: str) -> date:
    return date.fromisoformat(value)


def test_both_ends_of_a_stay_are_counted() -> None:
    result = run(
        [("ENTRY", at("2025-01-10", "23:50")), ("EXIT", at("2025-02-01", "00:10"))], "2025-11-20"
    )
    assert result["stays"] == [
        {"entered_on": d("2025-01-10"), "left_on": d("2025-02-01"), "days": 23}
    ]
    assert result["status"] == "ABROAD" and result["anomalies"] == []
    assert result["days_in_ecuador"] == {"last_90": 0, "last_180": 0, "last_365": 23}


def test_a_stay_with_no_exit_runs_to_on() -> None:
    result = run([("ENTRY", at("2025-11-01"))], "2025-11-20")
    assert result["stays"] == [{"entered_on": d("2025-11-01"), "left_on": None, "days": 20}]
    assert result["status"] == "IN_ECUADOR"
    assert result["days_in_ecuador"] == {"last_90": 20, "last_180": 20, "last_365": 20}


def test_midnight_is_ecuadors_whatever_the_offset_sent() -> None:
    # 23:59 and 00:01 in Ecuador, sent as UTC and as Tokyo time: two calendar days.
    crossings = [("ENTRY", at("2025-03-01", "23:59", UTC)),
                 ("EXIT", at("2025-03-02", "00:01", timezone(timedelta(hours=9))))]  # fmt: skip
    result = run(crossings, "2025-03-02")
    assert result["stays"] == [
        {"entered_on": d("2025-03-01"), "left_on": d("2025-03-02"), "days": 2}
    ]
    assert result["days_in_ecuador"]["last_90"] == 2


def test_a_visitor_who_overstays() -> None:
    result = run([("ENTRY", at("2025-08-18"))], "2025-11-20", nationality="COL")
    assert result["visitor_allowance"] == {
        "allowance_days": 90, "window_days": 365, "days_used": 95,
        "days_remaining": 0, "overstay_days": 5,
    }  # fmt: skip
    assert result["returnee"] is None


def test_the_allowance_is_configurable() -> None:
    result = run(
        [("ENTRY", at("2025-11-01"))], "2025-11-20", nationality="USA", allowance=30, window=180
    )
    assert result["visitor_allowance"] == {
        "allowance_days": 30, "window_days": 180, "days_used": 20,
        "days_remaining": 10, "overstay_days": 0,
    }  # fmt: skip


def test_later_movements_are_ignored() -> None:
    result = run([("ENTRY", at("2025-11-01")), ("EXIT", at("2025-11-21", "00:00"))], "2025-11-20")
    assert result["status"] == "IN_ECUADOR" and result["stays"][0]["left_on"] is None


def test_an_exit_with_no_entry_counts_only_its_day() -> None:
    result = run(
        [("EXIT", at("2025-11-10")), ("ENTRY", at("2025-11-15")), ("ENTRY", at("2025-11-16"))],
        "2025-11-20",
    )
    assert result["stays"] == [
        {"entered_on": None, "left_on": d("2025-11-10"), "days": 1},
        {"entered_on": d("2025-11-15"), "left_on": None, "days": 6},
    ]
    assert result["anomalies"] == ["UNKNOWN_ENTRY", "CONSECUTIVE_ENTRY"]
    assert result["days_in_ecuador"]["last_90"] == 7


def test_leaving_and_coming_back_the_same_day_counts_the_day_once() -> None:
    result = run([("ENTRY", at("2025-11-01")), ("EXIT", at("2025-11-05", "08:00")),
                  ("ENTRY", at("2025-11-05", "20:00"))], "2025-11-10")  # fmt: skip
    assert [s["days"] for s in result["stays"]] == [5, 6]
    assert result["days_in_ecuador"]["last_90"] == 10


def test_the_contracts_returnee() -> None:
    """Settled abroad from 2021-03-02; a 90-day visit in 2022 does not interrupt it."""
    crossings = [("ENTRY", at("2015-01-01")), ("EXIT", at("2021-03-02")),
                 ("ENTRY", at("2022-07-01")), ("EXIT", at("2022-09-28")),  # 90 days: a visit
                 ("ENTRY", at("2024-06-01"))]  # fmt: skip
    result = run(crossings, "2025-11-20", national_id="1710034065")
    assert result["returnee"] == {
        "abroad_from": d("2021-03-02"), "returned_on": d("2024-06-01"),
        "days_abroad": 1187, "more_than_two_years_abroad": True,
    }  # fmt: skip
    assert result["visitor_allowance"] is None


def test_a_stay_of_91_days_ends_the_time_abroad() -> None:
    crossings = [("ENTRY", at("2015-01-01")), ("EXIT", at("2021-03-02")),
                 ("ENTRY", at("2022-07-01")), ("EXIT", at("2022-09-29")),  # 91 days
                 ("ENTRY", at("2024-06-01"))]  # fmt: skip
    result = run(crossings, "2025-11-20")
    assert result["returnee"]["abroad_from"] == d("2022-09-29")
    assert result["returnee"]["days_abroad"] == 611
    assert result["returnee"]["more_than_two_years_abroad"] is False


@pytest.mark.parametrize(
    "crossings",
    [[], [("ENTRY", at("2024-06-01"))], [("ENTRY", at("2015-01-01")), ("EXIT", at("2021-03-02"))]],
    ids=["no movements", "never left", "abroad on the day"],
)
def test_no_returnee_block(crossings: list[tuple[str, datetime]]) -> None:
    assert run(crossings, "2025-11-20")["returnee"] is None


def test_every_visit_short_counts_from_the_earliest_registered_exit() -> None:
    crossings = [("ENTRY", at("2019-01-01")), ("EXIT", at("2019-01-10")),
                 ("ENTRY", at("2022-01-01"))]  # fmt: skip
    assert run(crossings, "2025-11-20")["returnee"]["abroad_from"] == d("2019-01-10")


# --- property-based: random histories against the day-by-day reference ---------------

BASE = date(2018, 1, 1)
# Ecuador clock times: midnight, a minute either side of it, and the ordinary.
CLOCKS = [time(0, 0), time(0, 1), time(9, 30), time(12, 0), time(17, 45), time(23, 59)]
OFFSETS = [timezone(timedelta(hours=h)) for h in (-5, -10, -3, 0, 2, 9, 14)]
# Gaps between crossings, in days: the edges of the rules (a 90-day visit, the 365-day
# window, two years abroad) are drawn on purpose, plus anything up to a year.
GAPS = st.sampled_from([0, 1, 89, 90, 179, 364, 365, 730, 731])
crossing_parts = st.tuples(
    GAPS | GAPS | st.integers(0, 400),  # days after the previous crossing
    st.sampled_from(CLOCKS),
    st.sampled_from(OFFSETS),  # the same instant, written with another offset
    st.sampled_from(["ENTRY", "EXIT"]),
    st.integers(0, 6),  # 0: annulled
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Crossing], date, str, str | None]:
    parts = draw(st.lists(crossing_parts, max_size=24))
    # Sometimes a cluster near the first crossing, minutes apart: where off-by-ones hide.
    if parts and draw(st.booleans()):
        first = parts[0]
        for minutes in draw(st.lists(st.integers(-3000, 3000), max_size=4)):
            moment = datetime.combine(BASE + timedelta(days=first[0]), first[1], tzinfo=EC)
            moment += timedelta(minutes=minutes)
            parts.append((moment, None, first[2], first[3], 1))  # type: ignore[arg-type]
    if draw(st.booleans()):  # a tidy traveller: alternating directions, nothing annulled
        start = draw(st.sampled_from(["ENTRY", "EXIT"]))
        other = {"ENTRY": "EXIT", "EXIT": "ENTRY"}
        directions = [start if i % 2 == 0 else other[start] for i in range(len(parts))]
        parts = [(p[0], p[1], p[2], d, 1) for p, d in zip(parts, directions, strict=True)]
    ids = draw(st.permutations(range(len(parts))))  # ties in time are broken by id
    crossings = []
    day = 0
    for (gap, clock, tz, direction, annulled), number in zip(parts, ids, strict=True):
        if isinstance(gap, datetime):
            moment = gap
        else:
            day += gap
            moment = datetime.combine(BASE + timedelta(days=day), clock, tzinfo=EC)
        crossings.append(
            Crossing(UUID(int=number), direction, moment.astimezone(tz), annulled == 0)
        )
    on = BASE + timedelta(days=max(0, day + draw(st.integers(-400, 400))))
    nationality = draw(st.sampled_from(["ECU", "COL", "USA"]))
    national_id = draw(st.sampled_from([None, "1710034065"]))
    return crossings, on, nationality, national_id


def compare(crossings: list[Crossing], on: date, nationality: str, national_id: str | None,
            allowance: int = 90, window: int = 365) -> None:  # fmt: skip
    # What the database hands the service: non-annulled, ordered by (time, id), up to `on`.
    ordered = [(c.direction, c.occurred_at) for c in reference.counted(crossings, on)]
    actual = summarise(
        ordered, on=on, ecuadorian=nationality == "ECU" or national_id is not None,
        foreign=nationality != "ECU", allowance_days=allowance, window_days=window,
    )  # fmt: skip
    expected = reference.summary(crossings, on=on, nationality=nationality,
                                 national_id=national_id, allowance_days=allowance,
                                 window_days=window)  # fmt: skip
    plain = _plain(actual)
    assert plain["status"] == expected["status"]
    assert plain["days_in_ecuador"] == expected["days_in_ecuador"]
    assert plain["stays"] == expected["stays"]
    assert plain["visitor_allowance"] == expected["visitor_allowance"]
    assert plain["returnee"] == expected["returnee"]
    assert set(plain["anomalies"]) == expected["anomalies"]
    assert len(plain["anomalies"]) == len(expected["anomalies"])


@settings(max_examples=200, deadline=None)
@given(histories())
def test_counting_agrees_with_the_day_by_day_reference(
    history: tuple[list[Crossing], date, str, str | None],
) -> None:
    compare(*history)


@settings(max_examples=60, deadline=None)
@given(histories(), st.integers(1, 400), st.integers(1, 400))
def test_any_allowance_and_window_agree_too(
    history: tuple[list[Crossing], date, str, str | None], allowance: int, window: int
) -> None:
    crossings, on, _, national_id = history
    compare(crossings, on, "PER", national_id, allowance, window)


@st.composite
def returnee_histories(draw: st.DrawFn) -> tuple[list[Crossing], date, str, str | None]:
    """Ecuadorians coming back: a settled stay, time abroad with short visits, a return,
    the lengths drawn at the rule's edges (90-day visits, two years abroad)."""
    moments, day = [], draw(st.integers(0, 30))
    moments.append(("ENTRY", day))
    day += draw(st.sampled_from([89, 90, 91, 400]))
    moments.append(("EXIT", day))
    for _ in range(draw(st.integers(0, 3))):
        day += draw(st.sampled_from([1, 100, 364, 729, 730, 731]))
        moments.append(("ENTRY", day))
        day += draw(st.sampled_from([0, 88, 89, 90, 91]))
        moments.append(("EXIT", day))
    day += draw(st.sampled_from([1, 365, 729, 730, 731]))
    moments.append(("ENTRY", day))
    clock = draw(st.sampled_from(CLOCKS))
    crossings = [
        Crossing(
            UUID(int=i), direction, datetime.combine(BASE + timedelta(days=d), clock, tzinfo=EC)
        )
        for i, (direction, d) in enumerate(moments)
    ]
    on = BASE + timedelta(days=day + draw(st.integers(0, 100)))
    return crossings, on, "ECU", draw(st.sampled_from([None, "1710034065"]))


@settings(max_examples=100, deadline=None)
@given(returnee_histories())
def test_returnees_agree_with_the_reference_at_the_edges(
    history: tuple[list[Crossing], date, str, str | None],
) -> None:
    compare(*history)


def test_the_reference_is_not_trivially_equal() -> None:
    """Guard the guard: an off-by-one in counting would be seen by the reference."""
    one = [
        Crossing(UUID(int=1), "ENTRY", at("2025-01-10")),
        Crossing(UUID(int=2), "EXIT", at("2025-01-12")),
    ]
    assert (
        reference.summary(one, on=d("2025-01-20"), nationality="ECU", national_id=None)["stays"][0][
            "days"
        ]
        == 3
    )
