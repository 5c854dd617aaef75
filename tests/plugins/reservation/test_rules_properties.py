"""Properties of the reservation rules over arbitrary dates, plannings and holidays."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from regie_reservation import planning
from regie_reservation.models import GIVEN_DAY, NEXT_MEAL
from regie_reservation.planning import Refused, Rules, Slot

days = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2028, 12, 31))
moments = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2028, 12, 31))
slots = st.builds(Slot, weekday=st.integers(0, 6), served=st.booleans(),
                  opens_days_before=st.integers(0, 14), closes_days_before=st.integers(0, 6),
                  closes_at=st.times())


@st.composite
def holiday_periods(draw):
    first = draw(days)
    return first, first + dt.timedelta(days=draw(st.integers(0, 20)))


@st.composite
def all_rules(draw, mode=None):
    planning_slots = {slot.weekday: slot for slot in draw(st.lists(slots, max_size=7))}
    return Rules(mode=mode or draw(st.sampled_from((GIVEN_DAY, NEXT_MEAL))),
                 days_ahead=draw(st.integers(1, 60)), days_before=draw(st.integers(0, 5)),
                 slots=tuple(planning_slots.values()),
                 holidays=tuple(draw(st.lists(holiday_periods(), max_size=3))))


def accepted(rules, day, now) -> bool:
    try:
        planning.check_booking(rules, day, now)
    except Refused:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(all_rules(), days, moments)
def test_an_accepted_booking_is_a_served_day_before_its_deadline(rules, day, now):
    if accepted(rules, day, now):
        assert planning.is_service_day(rules, day)
        assert not planning.is_holiday(rules, day)
        assert now < planning.deadline(rules, day)
        assert planning.opening(rules, day) <= now
        planning.check_cancellation(rules, day, now)


@settings(max_examples=300, deadline=None)
@given(all_rules(mode=GIVEN_DAY), days, moments)
def test_given_day_mode_never_books_beyond_the_horizon(rules, day, now):
    if accepted(rules, day, now):
        assert (day - now.date()).days <= rules.days_ahead


@settings(max_examples=300, deadline=None)
@given(all_rules(), days, moments)
def test_after_the_deadline_nothing_is_booked_nor_cancelled(rules, day, now):
    late = max(now, planning.deadline(rules, day))
    assert not accepted(rules, day, late)
    try:
        planning.check_cancellation(rules, day, late)
    except Refused:
        pass
    else:
        raise AssertionError("cancelled after the deadline")


@settings(max_examples=300, deadline=None)
@given(all_rules(mode=NEXT_MEAL), moments)
def test_the_next_meal_is_the_first_open_service_day(rules, now):
    found = planning.next_meal_day(rules, now)
    if found is None:
        return
    assert planning.is_service_day(rules, found) and now < planning.deadline(rules, found)
    day = now.date()
    while day < found:
        assert not (planning.is_service_day(rules, day) and now < planning.deadline(rules, day))
        day += dt.timedelta(days=1)


@settings(max_examples=200, deadline=None)
@given(all_rules(), moments)
def test_bookable_days_are_exactly_the_accepted_ones(rules, now):
    for day in planning.bookable_days(rules, now):
        assert accepted(rules, day, now)
