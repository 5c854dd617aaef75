"""The fiscalisation hook point: a fiscal-register plugin implements
``regie_billpay_fiscalize`` (declared by billpay's own hookspecs) and is called inside the
transaction with the bill, its core payment and the kind of operation; its Veto refuses it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from regie.api import User, Veto, get_payment, hookimpl
from regie_billpay import bills, fiscal
from regie_billpay.models import Bill, Desk, Subscriber


class FiscalRegister:
    """What an operator's fiscal plugin would do: record each operation, or refuse."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.refuse = False

    @hookimpl
    def regie_billpay_fiscalize(self, session, establishment, bill, payment, kind):
        if self.refuse:
            raise Veto("the fiscal register is offline")
        self.calls.append((establishment.slug, bill.id, bill.total, payment.receipt_number,
                           payment.amount, kind))


@pytest.fixture
def register(regie_runtime):
    plugin = FiscalRegister()
    regie_runtime.engine.pm.register(plugin, name="test-fiscal-register")
    yield plugin
    regie_runtime.engine.pm.unregister(name="test-fiscal-register")


def _pay(transaction, regie_runtime, centre, desk, cashier, key):
    with transaction() as (session, place):
        bill = bills.pay(session, place, desk=session.get(Desk, desk),
                         cashier=session.get(User, cashier.id),
                         subscriber=session.get(Subscriber, centre["subscribers"]["100001"]),
                         parts=[bills.Part(centre["services"]["WATER"], centre["months"][0],
                                           2500)], request_key=key, runtime=regie_runtime)
        return bill.id, get_payment(session, place, bill.payment_id).receipt_number


def test_each_cash_payment_and_cancellation_is_fiscalised_with_its_bill(
        register, transaction, regie_runtime, centre, desk, cashier):
    bill_id, receipt = _pay(transaction, regie_runtime, centre, desk, cashier, "f1")
    with transaction() as (session, place):
        bills.cancel(session, place, session.get(Bill, bill_id),
                     user=session.get(User, cashier.id), reason="wrong account",
                     document="cashier_explanation", runtime=regie_runtime)

    assert register.calls == [("kremenchuk", bill_id, 2500, receipt, 2500, "sale"),
                              ("kremenchuk", bill_id, 2500, receipt, 2500, "cancellation")]


def test_a_double_submit_is_fiscalised_once(register, transaction, regie_runtime, centre, desk,
                                            cashier):
    first = _pay(transaction, regie_runtime, centre, desk, cashier, "f2")
    again = _pay(transaction, regie_runtime, centre, desk, cashier, "f2")

    assert first == again
    assert [call[-1] for call in register.calls] == ["sale"]


def test_a_veto_of_the_fiscal_register_refuses_the_payment(register, transaction,
                                                          regie_runtime, centre, desk, cashier):
    register.refuse = True

    with pytest.raises(Veto, match="offline"):
        _pay(transaction, regie_runtime, centre, desk, cashier, "f3")

    with transaction() as (session, _place):
        assert session.scalar(select(func.count(Bill.id))) == 0


def test_an_unknown_kind_is_a_programming_error(register, transaction, regie_runtime, centre,
                                                desk, cashier):
    with transaction() as (session, place), pytest.raises(ValueError, match="refund"):
        fiscal.fiscalize(session, regie_runtime, place, None, None, "refund")
    assert register.calls == []
