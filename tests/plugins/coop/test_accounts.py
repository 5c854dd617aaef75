"""Balance rules: operations, pending payments, orders, the money pot and validation."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from regie.api import Invalid, Veto
from regie.services import ledger
from regie_coop import accounts
from regie_coop.models import Distribution, Member, Operation, Order

from .conftest import member_balance


def order(transaction, member_id, distribution_id, quantities, method, settings=None,
          now=None):
    from .conftest import ON_SITE

    with transaction() as (session, place):
        member = session.get(Member, member_id)
        distribution = session.get(Distribution, distribution_id)
        placed, payment = accounts.place_order(
            session, None, place, member, distribution, quantities, method=method,
            settings=ON_SITE if settings is None else settings, now=now)
        return placed.total, payment.id if payment else None


def test_each_kind_of_operation_moves_the_balance_by_its_sign(transaction, regie_runtime,
                                                              make_member):
    member_id = make_member(carry_over=-1500)
    with transaction() as (session, place):
        member = session.get(Member, member_id)
        accounts.add_debt(session, place, member, "membership", 2000)
        accounts.add_debt(session, place, member, "subscription", 12000)
        accounts.add_payment(session, regie_runtime, place, member, method="cash", amount=20000)
        accounts.add_refund(session, place, member, 500)
        accounts.add_carry_over(session, place, member, 300)
    assert member_balance(regie_runtime, member_id) == -1500 - 2000 - 12000 + 20000 - 500 + 300
    with regie_runtime.db.session() as session:
        member = session.get(Member, member_id)
        rows = accounts.statement(session, member.establishment_id, member)
        assert [running for _op, running in rows] == [-1500, -3500, -15500, 4500, 4000, 4300]
        assert ledger.verify(session, group_of(session, member)).ok


def group_of(session, member):
    from regie.api import Establishment

    return session.get(Establishment, member.establishment_id)


@pytest.mark.parametrize("amount", [0, -100])
def test_zero_or_negative_amounts_are_refused_and_nothing_is_posted(transaction, regie_runtime,
                                                                    make_member, amount):
    member_id = make_member()
    with transaction() as (session, place):
        member = session.get(Member, member_id)
        for call in (lambda: accounts.add_debt(session, place, member, "membership", amount),
                     lambda: accounts.add_refund(session, place, member, amount),
                     lambda: accounts.add_payment(session, regie_runtime, place, member,
                                                  method="cash", amount=amount)):
            with pytest.raises(Invalid) as refused:
                call()
            assert "more than zero" in refused.value.errors["amount"]
        with pytest.raises(Invalid, match="amount"):
            accounts.add_carry_over(session, place, member, 0)
    assert member_balance(regie_runtime, member_id) == 0


def test_an_order_is_a_debt_rounded_per_line_and_on_site_payment_stays_pending(
        transaction, regie_runtime, make_member, make_distribution, products):
    member_id, distribution_id = make_member(), make_distribution(days=2)
    total, payment_id = order(transaction, member_id, distribution_id,
                              {products["eggs"]: 2000, products["carrots"]: 1250}, "cash")
    assert total == 500 + 416  # 1.25 kg × 3.33 = 4.1625 → 4.16
    assert member_balance(regie_runtime, member_id) == -916, "the pending payment is excluded"
    with regie_runtime.db.session() as session:
        payment = session.get(Operation, payment_id)
        assert payment.pending and payment.payment_type == "on_the_spot"
        assert payment.amount == 916


def test_cheques_and_transfers_get_the_reference_code(transaction, make_member,
                                                      make_distribution, products,
                                                      regie_runtime):
    member_id = make_member()
    distribution_id = make_distribution(days=1, place_name="Halle Saint-Jean")
    _total, payment_id = order(transaction, member_id, distribution_id, {products["bread"]: 1000},
                               "transfer")
    with regie_runtime.db.session() as session:
        distribution = session.get(Distribution, distribution_id)
        assert session.get(Operation, payment_id).reference == (
            f"{distribution.date.isoformat()}-halle-saint-jean-{member_id}")


def test_an_ordered_line_cannot_be_reduced_but_products_can_be_added_and_paid(
        transaction, regie_runtime, make_member, make_distribution, products):
    member_id, distribution_id = make_member(), make_distribution(days=2)
    order(transaction, member_id, distribution_id, {products["eggs"]: 2000}, "cash")
    for smaller in (1000, 0):
        with pytest.raises(Invalid) as refused:
            order(transaction, member_id, distribution_id, {products["eggs"]: smaller}, "cash")
        assert "cannot be reduced" in refused.value.errors[f"product_{products['eggs']}"]
    total, payment_id = order(transaction, member_id, distribution_id,
                              {products["eggs"]: 2000, products["bread"]: 1000}, "cash")
    assert total == 920
    with regie_runtime.db.session() as session:
        assert session.get(Operation, payment_id).amount == 420, "the complement only"
    assert member_balance(regie_runtime, member_id) == -920


def test_without_payment_methods_an_order_may_be_reduced(transaction, regie_runtime,
                                                         make_member, make_distribution,
                                                         products):
    member_id, distribution_id = make_member(), make_distribution(days=2)
    order(transaction, member_id, distribution_id, {products["eggs"]: 3000}, "", settings={})
    total, _payment = order(transaction, member_id, distribution_id, {products["eggs"]: 1000},
                            "", settings={})
    assert total == 250 and member_balance(regie_runtime, member_id) == -250


MONEY_POT = {"method_money_pot": True}


def test_the_money_pot_must_hold_enough_unless_negative_is_allowed(
        transaction, regie_runtime, make_member, make_distribution, products):
    member_id, distribution_id = make_member(carry_over=300), make_distribution(days=2)
    with pytest.raises(Veto, match="credit your account first"):
        order(transaction, member_id, distribution_id, {products["bread"]: 1000}, "money_pot",
              settings=MONEY_POT)
    assert member_balance(regie_runtime, member_id) == 300, "nothing was ordered"
    total, payment = order(transaction, member_id, distribution_id, {products["eggs"]: 1000},
                           "money_pot", settings=MONEY_POT)
    assert (total, payment, member_balance(regie_runtime, member_id)) == (250, None, 50)
    order(transaction, member_id, distribution_id, {products["eggs"]: 1000,
                                                    products["bread"]: 1000}, "money_pot",
          settings={**MONEY_POT, "allow_negative_money_pot": True})
    assert member_balance(regie_runtime, member_id) == -370


def test_the_money_pot_cannot_be_offered_with_other_methods():
    accounts.check_settings(MONEY_POT)
    with pytest.raises(Veto, match="money pot cannot be offered together") as refused:
        accounts.check_settings({**MONEY_POT, "method_cheque": True})
    assert "Cheque" in str(refused.value)


def test_ordering_stops_when_the_last_four_distributions_are_not_validated(
        transaction, make_member, make_distribution, products):
    member_id, upcoming = make_member(), make_distribution(days=3)
    for days in (-28, -21, -14, -7):
        make_distribution(days=days)
    with pytest.raises(Veto, match="last 4 distributions are not validated"):
        order(transaction, member_id, upcoming, {products["eggs"]: 1000}, "cash")
    with transaction() as (session, place):
        session.scalars(select(Distribution).where(Distribution.date < accounts.local_now(
            place).date())).first().validated_at = dt.datetime.now(dt.UTC)
    assert order(transaction, member_id, upcoming, {products["eggs"]: 1000}, "cash")[0] == 250


def test_closed_orders_are_refused(transaction, make_member, make_distribution, products):
    member_id, closed = make_member(), make_distribution(days=1, open_now=False)
    with pytest.raises(Veto, match="closed"):
        order(transaction, member_id, closed, {products["eggs"]: 1000}, "cash")


def validate(regie_runtime, transaction, distribution_id, now=None):
    with transaction() as (session, place):
        return accounts.validate(session, regie_runtime, place,
                                 session.get(Distribution, distribution_id), actor="coord",
                                 now=now)


def test_validation_waits_for_the_day_and_for_on_the_spot_payments_to_be_resolved(
        transaction, regie_runtime, make_member, make_distribution, products):
    alice, bob = make_member("Alice"), make_member("Bob")
    distribution_id = make_distribution(days=0)
    _total, alice_payment = order(transaction, alice, distribution_id,
                                  {products["eggs"]: 2000}, "cheque")
    order(transaction, bob, distribution_id, {products["bread"]: 1000}, "transfer")
    with transaction() as (session, place):
        distribution = session.get(Distribution, distribution_id)
        day_before = accounts.can_validate_from(place, distribution) - dt.timedelta(hours=7)
    with pytest.raises(Veto, match="from the morning of its day"):
        validate(regie_runtime, transaction, distribution_id, now=day_before)
    with pytest.raises(Veto, match="Say how these members paid on the spot") as refused:
        validate(regie_runtime, transaction, distribution_id)
    assert "Alice" in str(refused.value) and "Bob" not in str(refused.value)
    with transaction() as (session, _place):
        accounts.resolve(session.get(Operation, alice_payment), "cheque",
                         {"number": "1234567", "bank": "Crédit Agricole"})
        bob_payment = session.scalar(select(Operation).where(Operation.member_id == bob,
                                                             Operation.pending.is_(True)))
        bob_payment.details = {**bob_payment.details,
                               "fields": {"transfer_reference": bob_payment.reference}}
    assert validate(regie_runtime, transaction, distribution_id) == 2
    assert member_balance(regie_runtime, alice) == 0 and member_balance(regie_runtime, bob) == 0
    with regie_runtime.db.session() as session:
        assert all(order.paid for order in session.scalars(select(Order)))
        assert not session.scalars(select(Operation).where(Operation.pending.is_(True))).all()
        assert ledger.verify(session, group_of(session, session.get(Member, alice))).ok
    with pytest.raises(Veto, match="already validated"):
        validate(regie_runtime, transaction, distribution_id)
    with transaction() as (session, place):
        accounts.undo_validation(session, place, session.get(Distribution, distribution_id))
    with regie_runtime.db.session() as session:
        assert session.get(Distribution, distribution_id).validated_at is None
    assert member_balance(regie_runtime, alice) == 0, "payments received stay recorded"


def test_a_cheque_without_its_number_stops_validation_with_the_members_name(
        transaction, regie_runtime, make_member, make_distribution, products):
    alice, distribution_id = make_member("Alice"), make_distribution(days=0)
    _total, payment_id = order(transaction, alice, distribution_id, {products["eggs"]: 1000},
                               "cheque")
    with transaction() as (session, _place):
        accounts.resolve(session.get(Operation, payment_id), "cheque", {})
    with pytest.raises(Veto, match="payment of Alice cannot be recorded"):
        validate(regie_runtime, transaction, distribution_id)
    assert member_balance(regie_runtime, alice) == -250, "nothing recorded"


def test_simultaneous_submissions_of_one_member_make_one_order(transaction, regie_runtime,
                                                               make_member, make_distribution,
                                                               products):
    """A double tap on "Order" (or two tabs) must not fail on the one-order-per-member rule."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    member_id, distribution_id = make_member(), make_distribution(days=2)
    barrier = threading.Barrier(6)

    def submit(_index):
        barrier.wait()
        return order(transaction, member_id, distribution_id, {products["eggs"]: 2000}, "cash")

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(submit, range(6)))
    assert [total for total, _payment in results] == [500] * 6
    assert sum(1 for _total, payment in results if payment is not None) == 1
    with regie_runtime.db.session() as session:
        assert len(session.scalars(select(Order).where(Order.member_id == member_id)).all()) == 1
    assert member_balance(regie_runtime, member_id) == -500
