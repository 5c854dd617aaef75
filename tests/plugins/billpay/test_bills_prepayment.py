"""Prepayment bills and the distribution of a lump sum."""

from __future__ import annotations

import pytest

from regie.api import User, Veto
from regie_billpay import accruals, bills, distribution, prepayment
from regie_billpay.models import PREPAYMENT, Desk, Subscriber


def _settle(transaction, regie_runtime, centre, desk, cashier, account, key):
    """Pay all the debt of ``account``."""
    with transaction() as (session, place):
        subscriber = session.get(Subscriber, centre["subscribers"][account])
        parts = [bills.Part(debt.service.id, debt.period, debt.amount)
                 for line in accruals.debts(session, place, subscriber) for debt in line.debts]
        bills.pay(session, place, desk=session.get(Desk, desk),
                  cashier=session.get(User, cashier.id), subscriber=subscriber, parts=parts,
                  request_key=key, runtime=regie_runtime)


def _propose(transaction, centre, account, months, service_ids=None):
    with transaction() as (session, place):
        subscriber = session.get(Subscriber, centre["subscribers"][account])
        return [(line.service.code, line.periods, line.monthly, line.amount)
                for line in prepayment.propose(session, place, subscriber, months,
                                               service_ids=service_ids)]


def _prepay(transaction, regie_runtime, centre, desk, cashier, account, months, key):
    with transaction() as (session, place):
        subscriber = session.get(Subscriber, centre["subscribers"][account])
        parts = [bills.Part(line.service.id, period, line.monthly)
                 for line in prepayment.propose(session, place, subscriber, months)
                 for period in line.periods]
        return bills.pay(session, place, desk=session.get(Desk, desk),
                         cashier=session.get(User, cashier.id), subscriber=subscriber,
                         parts=parts, kind=PREPAYMENT, request_key=key,
                         runtime=regie_runtime).total


def test_prepayment_is_based_on_the_last_accruals(transaction, regie_runtime, centre, desk,
                                                  cashier):
    _settle(transaction, regie_runtime, centre, desk, cashier, "100001", "settle")
    last = centre["months"][-1]
    proposal = _propose(transaction, centre, "100001", 2)
    heat = next(line for line in proposal if line[0] == "HEAT")
    assert heat[1] == (accruals.add_months(last, 1), accruals.add_months(last, 2))
    assert (heat[2], heat[3]) == (120000, 240000)
    water_only = _propose(transaction, centre, "100001", 1, {centre["services"]["WATER"]})
    assert [line[0] for line in water_only] == ["WATER"]


def test_prepayments_add_up_two_two_and_one_months(transaction, regie_runtime, centre, desk,
                                                   cashier):
    _settle(transaction, regie_runtime, centre, desk, cashier, "100001", "settle")
    monthly = sum(centre["amounts"].values())
    assert _prepay(transaction, regie_runtime, centre, desk, cashier, "100001", 2, "p1") == (
        2 * monthly)
    assert _prepay(transaction, regie_runtime, centre, desk, cashier, "100001", 2, "p2") == (
        2 * monthly)
    assert _prepay(transaction, regie_runtime, centre, desk, cashier, "100001", 1, "p3") == (
        monthly)
    next_one = _propose(transaction, centre, "100001", 1)
    assert next_one[0][1] == (accruals.add_months(centre["months"][-1], 6),)


def test_prepayment_with_a_debt_is_refused_with_the_message(transaction, centre):
    with pytest.raises(Veto, match="the subscriber has a debt"):
        _propose(transaction, centre, "100001", 1)


def test_a_prepaid_month_cannot_be_prepaid_twice(transaction, regie_runtime, centre, desk,
                                                  cashier):
    _settle(transaction, regie_runtime, centre, desk, cashier, "100001", "settle")
    with transaction() as (session, place):
        subscriber = session.get(Subscriber, centre["subscribers"]["100001"])
        [heat] = prepayment.propose(session, place, subscriber, 1,
                                    service_ids={centre["services"]["HEAT"]})
    part = bills.Part(heat.service.id, heat.periods[0], heat.monthly)
    with transaction() as (session, place):
        bills.pay(session, place, desk=session.get(Desk, desk),
                  cashier=session.get(User, cashier.id),
                  subscriber=session.get(Subscriber, centre["subscribers"]["100001"]),
                  parts=[part], kind=PREPAYMENT, request_key="a", runtime=regie_runtime)
    with transaction() as (session, place), pytest.raises(Veto, match="already prepaid"):
        bills.pay(session, place, desk=session.get(Desk, desk),
                  cashier=session.get(User, cashier.id),
                  subscriber=session.get(Subscriber, centre["subscribers"]["100001"]),
                  parts=[part], kind=PREPAYMENT, request_key="b", runtime=regie_runtime)


def _lines(transaction, centre):
    with transaction() as (session, place):
        return accruals.debts(session, place,
                              session.get(Subscriber, centre["subscribers"]["100001"]))


def test_lump_sum_pays_the_oldest_month_first(transaction, centre):
    shares = distribution.distribute(150000, _lines(transaction, centre))
    oldest = centre["months"][0]
    assert [(s.debt.service.code, s.debt.period, s.amount) for s in shares] == [
        ("HEAT", oldest, 120000), ("WATER", oldest, 23075), ("HOUSE", oldest, 6925)]


def test_lump_sum_by_service_priority_pays_every_month_of_the_first_service(transaction,
                                                                             centre):
    shares = distribution.distribute(300000, _lines(transaction, centre),
                                     distribution.SERVICE_PRIORITY)
    months = centre["months"]
    assert [(s.debt.service.code, s.debt.period, s.amount) for s in shares] == [
        ("HEAT", months[0], 120000), ("HEAT", months[1], 120000), ("HEAT", months[2], 60000)]


def test_lump_sum_above_the_whole_debt_is_refused(transaction, centre):
    total = 3 * sum(centre["amounts"].values())
    with pytest.raises(Veto, match="above the debt"):
        distribution.distribute(total + 1, _lines(transaction, centre))
    assert sum(s.amount for s in distribution.distribute(total, _lines(transaction, centre))) == (
        total)
