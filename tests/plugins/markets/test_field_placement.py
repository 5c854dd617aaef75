"""Placement: the start-date rule and the ranking, table-driven with dates; refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from regie.api import Invalid
from regie_markets import placement
from regie_markets.models import Authorisation, Market, Ticket, Trader
from regie_markets.settings import markets_settings
from regie_markets.status import evaluate

WEDNESDAY = dt.date(2026, 11, 18)


def _tickets(transaction, trader_id, market_id, days):
    with transaction() as (session, place):
        for day in days:
            session.add(Ticket(establishment_id=place.id, trader_id=trader_id,
                               market_id=market_id, day=day, metres=6, amount=900))


def _wednesdays(count, before=WEDNESDAY):
    return [before - dt.timedelta(days=7 * n) for n in range(count, 0, -1)]


def _enrol(transaction, trader_id, market_id, day=WEDNESDAY, status_level=None):
    with transaction() as (session, place):
        trader, market = session.get(Trader, trader_id), session.get(Market, market_id)
        settings = markets_settings(place)
        status = evaluate(trader, settings, day, arrears_amount=0, arrears_count=0)
        enrolment, found = placement.enrol(session, place, trader, market, day, status, settings)
        return enrolment.rank, found


@pytest.mark.parametrize(("ticket_days", "start_before", "expected_start", "set_now"), [
    # 37 Wednesdays in the last 12 months: the first of them becomes the start date.
    (_wednesdays(37), None, WEDNESDAY - dt.timedelta(days=7 * 37), True),
    (_wednesdays(45), None, WEDNESDAY - dt.timedelta(days=7 * 45), True),
    # 36 are not enough.
    (_wednesdays(36), None, None, False),
    # Tickets older than 12 months do not count: 40 weekly, only 52 weeks back counted.
    ([WEDNESDAY - dt.timedelta(days=7 * n) for n in range(60, 20, -1)], None, None, False),
    # Tickets on other weekdays do not count.
    ([d - dt.timedelta(days=1) for d in _wednesdays(40)], None, None, False),
    # A start date already there is kept.
    (_wednesdays(40), dt.date(2019, 5, 1), dt.date(2019, 5, 1), False),
])
def test_start_date_rule(transaction, make_market, make_trader, ticket_days, start_before,
                         expected_start, set_now):
    market = make_market(weekdays="3")
    trader = make_trader(markets=[market])
    _tickets(transaction, trader, market, ticket_days)
    if start_before:
        with transaction() as (session, place):
            session.add(Authorisation(establishment_id=place.id, trader_id=trader,
                                      market_id=market, weekday=3, start_date=start_before))
    _rank, found = _enrol(transaction, trader, market)
    assert found.start_date == expected_start
    assert found.start_date_set_now is set_now
    with transaction() as (session, _place):
        stored = session.scalars(select(Authorisation.start_date).where(
            Authorisation.trader_id == trader, Authorisation.weekday == 3)).first()
        assert stored == expected_start


@pytest.mark.parametrize(("people", "expected_order"), [
    # (name, Wednesdays attended, start date already known) -> ranks
    ([("A", 10, None), ("B", 20, None), ("C", 5, None)], ["B", "A", "C"]),
    # Seniors (>= 37 and a start date) first, oldest start first, before any attendance.
    ([("A", 50, dt.date(2015, 1, 7)), ("B", 40, dt.date(2010, 3, 3)), ("C", 45, None)],
     ["B", "A", "C"]),
    # A start date without the attendance does not make a senior.
    ([("A", 3, dt.date(2001, 1, 3)), ("B", 30, None)], ["B", "A"]),
    # Same attendance: the first enrolled first.
    ([("A", 12, None), ("B", 12, None)], ["A", "B"]),
])
def test_ranking_is_recomputed_at_each_enrolment(transaction, make_market, make_trader, people,
                                                 expected_order):
    market = make_market(weekdays="3")
    ids = {}
    for name, count, start in people:
        ids[name] = make_trader(last_name=name, markets=[market])
        _tickets(transaction, ids[name], market, _wednesdays(count))
        if start:
            with transaction() as (session, place):
                session.add(Authorisation(establishment_id=place.id, trader_id=ids[name],
                                          market_id=market, weekday=3, start_date=start))
    for name, _count, _start in people:
        _enrol(transaction, ids[name], market)
    with transaction() as (session, place):
        rows = placement.day_list(session, place, session.get(Market, market), WEDNESDAY)
        by_id = {v: k for k, v in ids.items()}
        assert [by_id[row.trader_id] for row in rows] == expected_order
        assert [row.rank for row in rows] == list(range(1, len(people) + 1))


def test_enrolment_refused_when_exceeded_or_not_authorised(transaction, make_market,
                                                           make_trader):
    market = make_market(weekdays="3")
    blocked = make_trader(markets=[market], blocked=True, blocked_reason="Impayés")
    stranger = make_trader(last_name="DURAND")
    with pytest.raises(Invalid, match="beyond the limits"):
        _enrol(transaction, blocked, market)
    with pytest.raises(Invalid, match="not authorised"):
        _enrol(transaction, stranger, market)
    with transaction() as (session, place):
        assert placement.day_list(session, place, session.get(Market, market), WEDNESDAY) == []


def test_enrolling_twice_keeps_one_enrolment(transaction, make_market, make_trader):
    market = make_market(weekdays="3")
    trader = make_trader(markets=[market])
    _enrol(transaction, trader, market)
    _enrol(transaction, trader, market)
    with transaction() as (session, place):
        assert len(placement.day_list(session, place, session.get(Market, market),
                                      WEDNESDAY)) == 1
