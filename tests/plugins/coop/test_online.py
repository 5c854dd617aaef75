"""Online payment of an order or a debt: through a core payment request and the
establishment's online method; the balance moves with the notification only."""

from __future__ import annotations

from regie.services import payments, payments_requests
from regie.services.payments_notifications import payment_return, receive_notification
from regie.testing.payments import FAKE_METHOD, FakeAdapter
from regie_coop import accounts
from regie_coop.models import Distribution, Member, Operation, Order

from .conftest import ON_SITE, member_balance


def pay_online(runtime, group, request_id, outcome):
    from regie.db.money import PaymentRequest

    with runtime.db.session() as session:
        token = session.get(PaymentRequest, request_id).token
    payment, _action = payments_requests.pay_request(runtime, group.id, token, FAKE_METHOD)
    view = payments.payment_view(payment)
    payment_return(runtime, group.id, payment.token, FakeAdapter().browser_return(view, outcome))
    return view


def notify(runtime, group, view, outcome):
    raw = FakeAdapter().notification(view, outcome)
    return receive_notification(runtime, group.id, FAKE_METHOD, raw)


def test_an_order_paid_online_is_credited_on_the_notification_not_the_return(
        regie_runtime, group, transaction, make_member, make_distribution, products):
    member_id, distribution_id = make_member(), make_distribution(days=2)
    with transaction() as (session, place):
        order, operation = accounts.place_order(
            session, regie_runtime, place, session.get(Member, member_id),
            session.get(Distribution, distribution_id), {products["bread"]: 2000},
            method="online", settings=ON_SITE)
        order_id, operation_id, request_id = order.id, operation.id, operation.request_id
    assert member_balance(regie_runtime, member_id) == -840
    view = pay_online(regie_runtime, group, request_id, "succeeded")
    assert member_balance(regie_runtime, member_id) == -840, "the browser return proves nothing"
    assert notify(regie_runtime, group, view, "succeeded").payment_state == "succeeded"
    assert member_balance(regie_runtime, member_id) == 0
    with regie_runtime.db.session() as session:
        operation = session.get(Operation, operation_id)
        assert not operation.pending and operation.payment_id == view.id
        assert session.get(Order, order_id).paid
    notify(regie_runtime, group, view, "succeeded")
    assert member_balance(regie_runtime, member_id) == 0, "a repeated notification adds nothing"


def test_a_refused_card_leaves_the_debt_and_the_payment_pending(
        regie_runtime, group, transaction, make_member):
    member_id = make_member(carry_over=-2500)
    with transaction() as (session, place):
        operation = accounts.pay_debt_online(session, regie_runtime, place,
                                             session.get(Member, member_id), 2500)
        operation_id, request_id = operation.id, operation.request_id
    view = pay_online(regie_runtime, group, request_id, "failed")
    notify(regie_runtime, group, view, "failed")
    assert member_balance(regie_runtime, member_id) == -2500
    with regie_runtime.db.session() as session:
        assert session.get(Operation, operation_id).pending
    view = pay_online(regie_runtime, group, request_id, "succeeded")
    notify(regie_runtime, group, view, "succeeded")
    assert member_balance(regie_runtime, member_id) == 0
