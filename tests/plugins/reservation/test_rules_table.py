"""The reservation rules, case by case (a week of November 2026: Monday 16 … Sunday 22)."""

from __future__ import annotations

import datetime as dt

import pytest

from regie_reservation import planning
from regie_reservation.models import GIVEN_DAY, NEXT_MEAL
from regie_reservation.planning import Refused, Rules

D = dt.date
PLANNING = planning.weekdays_planning(opens=7, closes=1, at=dt.time(10, 0))
AUTUMN = ((D(2026, 10, 17), D(2026, 11, 1)),)
CHRISTMAS = ((D(2026, 12, 19), D(2027, 1, 3)),)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def rules(**changes) -> Rules:
    return Rules(**{"slots": PLANNING, "holidays": AUTUMN + CHRISTMAS, **changes})


@pytest.mark.parametrize(("now", "day", "changes", "refusal"), [
    # Fin = the day before at 10:00
    ("2026-11-16 09:59", "2026-11-17", {}, None),
    ("2026-11-16 10:00", "2026-11-17", {}, "Too late"),
    ("2026-11-16 23:00", "2026-11-19", {}, None),
    # no lunch on Wednesday, nor at the weekend
    ("2026-11-16 08:00", "2026-11-18", {}, "No meal is served"),
    ("2026-11-16 08:00", "2026-11-21", {}, "No meal is served"),
    # horizon: 21 days ahead by default, Début ignored in given-day mode
    ("2026-11-16 08:00", "2026-12-07", {}, None),
    ("2026-11-16 08:00", "2026-12-08", {}, "Too early"),
    ("2026-11-16 08:00", "2026-11-20", {"days_ahead": 3}, "up to 3 days ahead"),
    # holidays
    ("2026-12-01 08:00", "2026-12-21", {}, "holidays"),
    ("2026-12-15 08:00", "2027-01-04", {}, None),
    # days before the meal replaces Fin / Heure fin: by the end of the day N days before
    ("2026-11-17 23:59", "2026-11-19", {"days_before": 2}, None),
    ("2026-11-18 00:00", "2026-11-19", {"days_before": 2}, "Too late"),
    ("2026-11-18 09:00", "2026-11-19", {"days_before": 1}, None),
    ("2026-11-19 00:00", "2026-11-19", {"days_before": 1}, "Too late"),
    # the past
    ("2026-11-20 08:00", "2026-11-19", {}, "Too late"),
])
def test_given_day_booking(now, day, changes, refusal):
    chosen = rules(mode=GIVEN_DAY, **changes)
    if refusal is None:
        planning.check_booking(chosen, D.fromisoformat(day), at(now))
    else:
        with pytest.raises(Refused, match=refusal):
            planning.check_booking(chosen, D.fromisoformat(day), at(now))


@pytest.mark.parametrize(("now", "expected"), [
    ("2026-11-16 08:00", "2026-11-17"),   # Monday morning: Tuesday (Monday's closed on Sunday)
    ("2026-11-16 10:00", "2026-11-19"),   # Tuesday closed at 10:00; Wednesday not served
    ("2026-11-19 12:00", "2026-11-23"),   # Thursday noon: Friday closed, next is Monday
    ("2026-10-16 11:00", "2026-11-02"),   # autumn holidays: the day after they end
    ("2026-12-18 11:00", "2027-01-04"),   # Christmas
])
def test_next_meal_day(now, expected):
    assert planning.next_meal_day(rules(mode=NEXT_MEAL), at(now)) == D.fromisoformat(expected)


def test_next_meal_after_holidays_opens_counting_school_days_only():
    chosen = rules(mode=NEXT_MEAL)
    # 2 November, 7 days before without the 16 days of holidays: 10 October, not 26 October
    assert planning.opening(chosen, D(2026, 11, 2)) == at("2026-10-10 00:00")
    assert planning.bookable_days(chosen, at("2026-10-16 11:00")) == [D(2026, 11, 2)]


@pytest.mark.parametrize(("now", "day", "refusal"), [
    ("2026-11-16 08:00", "2026-11-20", "Only the next meal"),
    ("2026-11-16 08:00", "2026-11-16", None),
    ("2026-11-20 12:00", "2026-11-23", "Too early"),   # opens on Sunday, Début = 1 day
])
def test_next_meal_mode_books_only_the_next_meal(now, day, refusal):
    same_day = planning.weekdays_planning(opens=1, closes=0, at=dt.time(10, 0))
    chosen = rules(mode=NEXT_MEAL, slots=same_day)
    if refusal is None:
        planning.check_booking(chosen, D.fromisoformat(day), at(now))
    else:
        with pytest.raises(Refused, match=refusal):
            planning.check_booking(chosen, D.fromisoformat(day), at(now))


@pytest.mark.parametrize(("now", "allowed"), [
    ("2026-11-18 09:59", True),
    ("2026-11-18 10:00", False),
])
def test_cancel_before_the_deadline_only(now, allowed):
    if allowed:
        planning.check_cancellation(rules(), D(2026, 11, 19), at(now))
    else:
        with pytest.raises(Refused, match="Too late to cancel"):
            planning.check_cancellation(rules(), D(2026, 11, 19), at(now))


def test_bookable_days_in_given_day_mode_skip_holidays_and_closed_days():
    days = planning.bookable_days(rules(days_ahead=40), at("2026-12-01 12:00"))
    assert days[0] == D(2026, 12, 3)   # 2 December is a Wednesday, not served
    assert D(2026, 12, 21) not in days and D(2027, 1, 4) in days
    assert all(day.weekday() in (0, 1, 3, 4) for day in days)


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="unknown reservation mode"):
        Rules(mode="weekly-ish")
