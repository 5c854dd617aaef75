"""Paying bills: core cash payments on the subscriber's account, per service and month, once
per form however often it is sent; amounts above the debt refused; same-day cancellation."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from regie.api import User, Veto, get_payment, statement
from regie_billpay import accruals, bills, closing
from regie_billpay.models import PREPAYMENT, Bill, Desk, Subscriber

from .conftest import today_in


def _pay(transaction, regie_runtime, centre, desk, cashier, parts, *, account="100001",
         key="form-1", kind="bill", now=None):
    with transaction() as (session, place):
        bill = bills.pay(session, place, desk=session.get(Desk, desk),
                         cashier=session.get(User, cashier.id),
                         subscriber=session.get(Subscriber, centre["subscribers"][account]),
                         parts=parts, kind=kind, request_key=key, runtime=regie_runtime, now=now)
        return bill.id


def _debt(transaction, centre, account="100001"):
    with transaction() as (session, place):
        subscriber = session.get(Subscriber, centre["subscribers"][account])
        return {(line.service.code, debt.period): debt.amount
                for line in accruals.debts(session, place, subscriber) for debt in line.debts}


def test_paying_lowers_the_debt_and_credits_the_ledger(transaction, regie_runtime, centre, desk,
                                                       cashier):
    oldest = centre["months"][0]
    heat, water = centre["services"]["HEAT"], centre["services"]["WATER"]
    bill_id = _pay(transaction, regie_runtime, centre, desk, cashier,
                   [bills.Part(heat, oldest, 120000), bills.Part(water, oldest, 10000)])

    debt = _debt(transaction, centre)
    assert ("HEAT", oldest) not in debt
    assert debt[("WATER", oldest)] == 23075 - 10000
    with transaction() as (session, place):
        bill = session.get(Bill, bill_id)
        payment = get_payment(session, place, bill.payment_id)
        assert (payment.method, payment.state, payment.amount) == ("cash", "succeeded", 130000)
        assert bill.total == 130000 and len(bill.lines) == 2
        assert bill.day == today_in(place)
        account = session.get(Subscriber, centre["subscribers"]["100001"]).account_id
        assert payment.account_id == account
        assert [entry.amount for entry in statement(session, payment.account)] == [130000]


def test_the_same_form_sent_twice_pays_once(transaction, regie_runtime, centre, desk, cashier):
    part = bills.Part(centre["services"]["HEAT"], centre["months"][0], 50000)
    first = _pay(transaction, regie_runtime, centre, desk, cashier, [part], key="double")
    second = _pay(transaction, regie_runtime, centre, desk, cashier, [part], key="double")

    assert first == second
    with transaction() as (session, _place):
        assert session.scalar(select(func.count()).select_from(Bill)) == 1
    assert _debt(transaction, centre)[("HEAT", centre["months"][0])] == 70000


def test_an_amount_above_the_debt_is_refused_and_nothing_is_paid(transaction, regie_runtime,
                                                                  centre, desk, cashier):
    part = bills.Part(centre["services"]["WATER"], centre["months"][1], 23076)
    with pytest.raises(Veto, match="above the amount accrued"):
        _pay(transaction, regie_runtime, centre, desk, cashier, [part])
    with transaction() as (session, _place):
        assert session.scalar(select(func.count()).select_from(Bill)) == 0


def test_a_month_already_paid_cannot_be_paid_again(transaction, regie_runtime, centre, desk,
                                                   cashier):
    part = bills.Part(centre["services"]["HEAT"], centre["months"][0], 120000)
    _pay(transaction, regie_runtime, centre, desk, cashier, [part], key="a")
    with pytest.raises(Veto, match="Nothing is owed"):
        _pay(transaction, regie_runtime, centre, desk, cashier, [part], key="b")


def test_nothing_ticked_is_refused(transaction, regie_runtime, centre, desk, cashier):
    with pytest.raises(Veto, match="Tick at least one line"):
        _pay(transaction, regie_runtime, centre, desk, cashier, [])


def test_cancel_the_same_day_reverses_the_payment_and_keeps_the_bill(
        transaction, regie_runtime, centre, desk, cashier):
    part = bills.Part(centre["services"]["HEAT"], centre["months"][0], 120000)
    bill_id = _pay(transaction, regie_runtime, centre, desk, cashier, [part])

    with transaction() as (session, place):
        bills.cancel(session, place, session.get(Bill, bill_id),
                     user=session.get(User, cashier.id), reason="Клієнт передумав",
                     document="client_request", runtime=regie_runtime)

    with transaction() as (session, place):
        bill = session.get(Bill, bill_id)
        payment = get_payment(session, place, bill.payment_id)
        assert payment.state == "cancelled"
        assert sorted(e.amount for e in statement(session, payment.account)) == [-120000, 120000]
        assert bill.cancel_document == "client_request" and bill.cancelled_at is not None
        listed = bills.day_bills(session, place, session.get(Desk, desk), bill.day)
        assert [b.id for b in listed] == [bill_id]
    assert _debt(transaction, centre)[("HEAT", centre["months"][0])] == 120000


def test_cancel_is_refused_on_another_day(transaction, regie_runtime, centre, desk, cashier):
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    part = bills.Part(centre["services"]["HEAT"], centre["months"][0], 1000)
    bill_id = _pay(transaction, regie_runtime, centre, desk, cashier, [part], now=yesterday)
    with transaction() as (session, place), pytest.raises(Veto, match="only on the day"):
        bills.cancel(session, place, session.get(Bill, bill_id),
                     user=session.get(User, cashier.id), reason="x", document="client_request",
                     runtime=regie_runtime)


def test_cancel_is_refused_once_the_day_is_closed(transaction, regie_runtime, centre, desk,
                                                  cashier):
    part = bills.Part(centre["services"]["HEAT"], centre["months"][0], 1000)
    bill_id = _pay(transaction, regie_runtime, centre, desk, cashier, [part])
    with transaction() as (session, place):
        closing.close_day(session, place, session.get(Desk, desk), today_in(place),
                          user=session.get(User, cashier.id), today=today_in(place))
    with transaction() as (session, place), pytest.raises(Veto, match="closed"):
        bills.cancel(session, place, session.get(Bill, bill_id),
                     user=session.get(User, cashier.id), reason="x",
                     document="cashier_explanation", runtime=regie_runtime)
    with transaction() as (session, _place):
        assert session.get(Bill, bill_id).cancelled_at is None


def test_cancel_needs_a_reason_and_a_document_kind(transaction, regie_runtime, centre, desk,
                                                   cashier):
    part = bills.Part(centre["services"]["HEAT"], centre["months"][0], 1000)
    bill_id = _pay(transaction, regie_runtime, centre, desk, cashier, [part])
    with transaction() as (session, place):
        user, bill = session.get(User, cashier.id), session.get(Bill, bill_id)
        with pytest.raises(Veto, match="reason"):
            bills.cancel(session, place, bill, user=user, reason=" ", document="client_request",
                         runtime=regie_runtime)
        with pytest.raises(Veto, match="supporting document"):
            bills.cancel(session, place, bill, user=user, reason="x", document="phone call",
                         runtime=regie_runtime)


def test_prepayment_while_in_debt_is_refused(transaction, regie_runtime, centre, desk, cashier):
    next_month = accruals.add_months(centre["months"][-1], 1)
    part = bills.Part(centre["services"]["HEAT"], next_month, 120000)
    with pytest.raises(Veto, match="Prepayment is not possible"):
        _pay(transaction, regie_runtime, centre, desk, cashier, [part], kind=PREPAYMENT)
