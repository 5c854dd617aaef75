"""Tickets: amounts from the tariffs, one per trader/market/day, placier edit rules, and a
history line for every change that survives the ticket's deletion."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from regie.api import Invalid
from regie_markets import tickets
from regie_markets.models import Market, Ticket, TicketChange, Trader

TODAY = dt.date(2026, 11, 18)  # a Wednesday


def _ticket(transaction, trader_id, market_id, user=None, day=TODAY, **kwargs):
    with transaction() as (session, place):
        ticket = tickets.create_ticket(session, place, trader=session.get(Trader, trader_id),
                                       market=session.get(Market, market_id), day=day,
                                       user=user, **kwargs)
        return ticket.id, ticket.amount


@pytest.mark.parametrize(("metres", "options", "amount"), [
    (6, {}, 6 * 150),
    (6, {"demonstrator": True}, 6 * 300),
    (4, {"badge_surcharge": True}, 4 * 150 + 4 * 100),
    (4, {"badge_surcharge": True, "blocking_surcharge": True}, 4 * 150 + 2 * 4 * 100),
    (2, {"demonstrator": True, "blocking_surcharge": True}, 2 * 300 + 2 * 100),
])
def test_amount_follows_the_market_tariffs(transaction, make_market, make_trader, metres,
                                           options, amount):
    market, trader = make_market(), make_trader()
    assert _ticket(transaction, trader, market, metres=metres, **options)[1] == amount


def test_second_ticket_same_day_is_refused_and_nothing_is_saved(transaction, make_market,
                                                                make_trader):
    market, trader = make_market(), make_trader()
    _ticket(transaction, trader, market, metres=6)
    with pytest.raises(Invalid) as refused:
        _ticket(transaction, trader, market, metres=4)
    assert "already has a ticket" in str(refused.value.errors["ticket"])
    other_market = make_market("Marché du Samedi")
    _ticket(transaction, trader, other_market, metres=4)
    _ticket(transaction, trader, market, metres=4, day=TODAY + dt.timedelta(days=7))
    with transaction() as (session, _place):
        assert len(session.scalars(select(Ticket)).all()) == 3


@pytest.mark.parametrize("metres", [0, -2, 51, "six", None])
def test_metres_out_of_range_are_refused(transaction, make_market, make_trader, metres):
    market, trader = make_market(), make_trader()
    with pytest.raises(Invalid) as refused:
        _ticket(transaction, trader, market, metres=metres)
    assert "metres" in refused.value.errors


def test_only_its_placier_changes_a_ticket_and_only_the_same_day(transaction, make_market,
                                                                 make_trader, make_user, town):
    market, trader = make_market(), make_trader()
    alice = make_user("alice", roles={town: ["markets.placier"]})
    bob = make_user("bob", roles={town: ["markets.placier"]})
    ticket_id, _amount = _ticket(transaction, trader, market, user=alice.id, metres=6)
    with transaction() as (session, place):
        ticket = session.get(Ticket, ticket_id)
        with pytest.raises(Invalid, match="placier who issued"):
            tickets.update_ticket(session, place, ticket, user=bob.id, check_day=TODAY, metres=4)
        with pytest.raises(Invalid, match="the day it was issued"):
            tickets.delete_ticket(session, place, ticket, user=alice.id,
                                  check_day=TODAY + dt.timedelta(days=1))
        tickets.update_ticket(session, place, ticket, user=alice.id, check_day=TODAY, metres=4)
        assert ticket.amount == 4 * 150


def test_history_has_create_update_delete_with_before_and_after(transaction, make_market,
                                                                make_trader, placier):
    market, trader = make_market(), make_trader()
    saturday = make_market("Marché du Samedi", standard=200)
    ticket_id, _amount = _ticket(transaction, trader, market, user=placier.id, metres=6,
                                 badge_surcharge=True)
    with transaction() as (session, place):
        ticket = session.get(Ticket, ticket_id)
        tickets.update_ticket(session, place, ticket, user=placier.id, check_day=TODAY,
                              metres=8, market=session.get(Market, saturday),
                              badge_surcharge=False)
    with transaction() as (session, place):
        tickets.delete_ticket(session, place, session.get(Ticket, ticket_id), user=placier.id,
                              check_day=TODAY)
    with transaction() as (session, place):
        assert session.get(Ticket, ticket_id) is None
        changes = session.scalars(select(TicketChange).order_by(TicketChange.id)).all()
        assert [c.action for c in changes] == ["create", "update", "delete"]
        assert all(c.ticket_id == ticket_id and c.user_id == placier.id for c in changes)
        created, updated, deleted = changes
        assert created.before is None and created.after["metres"] == 6
        assert created.after["amount"] == 6 * 150 + 6 * 100
        assert updated.before["metres"] == 6 and updated.after["metres"] == 8
        assert updated.after["market_id"] == saturday and updated.after["amount"] == 8 * 200
        assert updated.after["badge_surcharge"] is False
        assert deleted.before["metres"] == 8 and deleted.after is None


def test_usual_metres_is_the_most_frequent_on_that_market_and_weekday(transaction, make_market,
                                                                      make_trader):
    market, trader = make_market(), make_trader()
    for weeks, metres in enumerate([4, 4, 8, 4, 8]):
        _ticket(transaction, trader, market, metres=metres,
                day=TODAY - dt.timedelta(days=7 * (weeks + 1)))
    _ticket(transaction, trader, market, metres=10, day=TODAY - dt.timedelta(days=1))
    _ticket(transaction, trader, market, metres=10, day=TODAY - dt.timedelta(days=8))
    with transaction() as (session, place):
        args = (session, place, session.get(Trader, trader), session.get(Market, market))
        assert tickets.usual_metres(*args, TODAY.isoweekday()) == 4
        assert tickets.usual_metres(*args, 5) == 6
