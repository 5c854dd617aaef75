"""Payment requests: asking a payer for an amount, and the attempts to pay it online."""

import datetime as dt

import pytest

from regie.db.base import utcnow
from regie.db.models import Establishment
from regie.services import ledger, payments, payments_requests
from regie.services.errors import Invalid, NotFound, Veto
from regie.services.payments_notifications import receive_notification
from regie.services.providers import Redirect
from regie.testing.payments import FAKE_METHOD, FakeAdapter, engine_with_fake_method


@pytest.fixture(scope="module")
def regie_engine():
    return engine_with_fake_method()


@pytest.fixture
def school(make_establishment):
    return make_establishment(slug="ecole")


@pytest.fixture
def account(regie_runtime, school):
    with regie_runtime.db.transaction() as session:
        return ledger.open_account(session, session.get(Establishment, school.id),
                                   kind="billpay.subscriber", owner_key="A-17")


def ask(runtime, school, account, amount=4500, **options):
    options.setdefault("description", "Eau, 3e trimestre")
    with runtime.db.transaction() as session:
        return payments_requests.create_request(
            session, runtime, session.get(Establishment, school.id), account=account,
            amount=amount, actor="clerk", **options)


def notify(runtime, school, payment, outcome, attempt=1):
    raw = FakeAdapter().notification(payments.payment_view(payment), outcome, attempt=attempt)
    return receive_notification(runtime, school.id, FAKE_METHOD, raw)


def test_a_request_is_checked_and_gets_an_unguessable_link(regie_runtime, school, account,
                                                           make_establishment):
    request = ask(regie_runtime, school, account)
    assert len(request.token) >= 40 and request.state == "open"
    assert payments_requests.request_link(regie_runtime, school, request) == (
        f"http://127.0.0.1:8000/ecole/pay/{request.token}")
    assert ask(regie_runtime, school, account).token != request.token
    with pytest.raises(Invalid) as refused:
        ask(regie_runtime, school, account, amount=0, description=" ",
            expires_at=utcnow() - dt.timedelta(minutes=1))
    assert set(refused.value.errors) == {"amount", "description", "expires_at"}
    elsewhere = make_establishment()
    with pytest.raises(NotFound):
        ask(regie_runtime, elsewhere, account)


def test_several_attempts_until_one_succeeds_then_the_request_is_paid(regie_runtime, school,
                                                                      account):
    request = ask(regie_runtime, school, account)
    first, action = payments_requests.pay_request(regie_runtime, school.id, request.token,
                                                  FAKE_METHOD)
    assert isinstance(action, Redirect) and f"ref={first.reference}" in action.url
    assert notify(regie_runtime, school, first, "failed").payment_state == "failed"
    second, _action = payments_requests.pay_request(regie_runtime, school.id, request.token,
                                                    FAKE_METHOD)
    assert second.reference != first.reference
    assert notify(regie_runtime, school, second, "succeeded").payment_state == "succeeded"
    with regie_runtime.db.session() as session:
        paid = payments_requests.by_token(session, school.id, request.token)
        assert paid.state == "paid" and paid.paid_at is not None
        assert [p.state for p in payments_requests.attempts(session, paid)] == [
            "succeeded", "failed"]
        assert ledger.account_by_id(session, school.id, account.id).balance == 4500
    with pytest.raises(Veto, match="no longer payable"):
        payments_requests.pay_request(regie_runtime, school.id, request.token, FAKE_METHOD)


def test_closed_expired_or_unknown_requests_cannot_be_paid(regie_runtime, school, account):
    expired = ask(regie_runtime, school, account, expires_at=utcnow() + dt.timedelta(seconds=1))
    assert not payments_requests.is_payable(expired, now=utcnow() + dt.timedelta(seconds=2))
    cancelled = ask(regie_runtime, school, account)
    with regie_runtime.db.transaction() as session:
        payments_requests.cancel_request(session, session.get(Establishment, school.id),
                                         cancelled.id, actor="clerk")
    with pytest.raises(Veto):
        payments_requests.pay_request(regie_runtime, school.id, cancelled.token, FAKE_METHOD)
    with pytest.raises(NotFound):
        payments_requests.pay_request(regie_runtime, school.id, "forged-token", FAKE_METHOD)
    open_one = ask(regie_runtime, school, account)
    with pytest.raises(Veto, match="online"):
        payments_requests.pay_request(regie_runtime, school.id, open_one.token, "cash")


def test_return_urls_point_at_our_pages_and_start_needs_a_pending_online_payment(
        regie_runtime, school, account):
    request = ask(regie_runtime, school, account)
    payment, _action = payments_requests.pay_request(regie_runtime, school.id, request.token,
                                                     FAKE_METHOD)
    urls = payments_requests.return_urls(regie_runtime, school, payment)
    assert urls.pending == f"http://127.0.0.1:8000/ecole/pay/return/{payment.token}/pending"
    assert urls.notify == "http://127.0.0.1:8000/callbacks/ecole/payments/notify/fake_online"
    notify(regie_runtime, school, payment, "succeeded")
    with pytest.raises(Veto, match="already succeeded"):
        payments_requests.start_payment(regie_runtime, school.id, payment.id)


def test_an_attempt_the_provider_refuses_to_start_is_cancelled_not_left_pending(
        regie_runtime, school, account, monkeypatch):
    from regie.testing.payments import FakeOnlineProvider

    def refuse(self, payment, urls):
        raise Veto("the provider needs the payer's e-mail address")

    monkeypatch.setattr(FakeOnlineProvider, "start", refuse)
    request = ask(regie_runtime, school, account)
    with pytest.raises(Veto, match="e-mail"):
        payments_requests.pay_request(regie_runtime, school.id, request.token, FAKE_METHOD)
    with regie_runtime.db.session() as session:
        [attempt] = payments_requests.attempts(
            session, payments_requests.by_token(session, school.id, request.token))
        assert attempt.state == "cancelled" and "e-mail" in attempt.note
