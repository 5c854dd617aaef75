"""Payments recorded and handled by staff: manual methods, references, receipts, cancellation,
refunds, review, and the payment event hooks."""

import datetime as dt
import logging
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import attrs
import pytest
from sqlalchemy import func, select

from regie.api import Veto, hookimpl
from regie.db.models import AuditEvent, Establishment
from regie.db.money import LedgerEntry, Payment
from regie.engine import Engine
from regie.engine.manager import _builtin_modules
from regie.runtime import CORE_COMMANDS, Runtime
from regie.services import ledger, payments
from regie.services.errors import Invalid, NotFound
from regie.services.money import Money
from regie.services.payments_notifications import receive_notification
from regie.testing import payments as payments_testing
from regie.testing.payments import FakeAdapter

CALLS: list[tuple] = []
BEHAVIOUR: dict[str, object] = {}


RUNTIMES: list = []


@hookimpl
def regie_payment_succeeded_precommit(session, payment, runtime):
    if BEHAVIOUR.get("veto"):
        raise Veto("the order was closed")
    CALLS.append(("succeeded", payment.id, payment.state, payment.receipt_number))
    RUNTIMES.append(runtime)


@hookimpl
def regie_payment_succeeded_postcommit(payment_id, runtime):
    if BEHAVIOUR.get("postcommit_fails"):
        raise RuntimeError("mail server down")
    CALLS.append(("succeeded/after", payment_id))
    RUNTIMES.append(runtime)


@hookimpl
def regie_payment_refunded_precommit(session, payment, refund):
    CALLS.append(("refunded", payment.id, refund.amount, payment.refunded_amount))


@hookimpl
def regie_payment_refunded_postcommit(payment_id, refund_id):
    CALLS.append(("refunded/after", payment_id, refund_id))


@hookimpl
def regie_payment_cancelled_precommit(session, payment):
    CALLS.append(("cancelled", payment.id, payment.succeeded_at is not None))


@hookimpl
def regie_payment_cancelled_postcommit(payment_id):
    CALLS.append(("cancelled/after", payment_id))


@pytest.fixture(scope="module")
def hooked_engine():
    return Engine([], builtins=[*_builtin_modules(), payments_testing, sys.modules[__name__]],
                  reserved_cli=CORE_COMMANDS)


@pytest.fixture
def regie_runtime(regie_config, hooked_engine):
    CALLS.clear()
    BEHAVIOUR.clear()
    RUNTIMES.clear()
    runtime = Runtime(regie_config, engine=hooked_engine)
    yield runtime
    runtime.close()


@pytest.fixture
def school(make_establishment):
    return make_establishment(slug="ecole", name="École", timezone="Europe/Paris")


@pytest.fixture
def account(regie_runtime, school):
    with regie_runtime.db.transaction() as session:
        return ledger.open_account(session, session.get(Establishment, school.id),
                                   kind="reservation.pupil", owner_key="1234",
                                   label="Alice Martin")


def record(runtime, school, account, method="cash", amount=1250, **options):
    with runtime.db.transaction() as session:
        place = session.get(Establishment, school.id)
        return payments.record_manual(session, runtime, place, account=account, method=method,
                                      amount=amount, actor="clerk", **options)


def balance(runtime, account):
    with runtime.db.session() as session:
        return ledger.account_by_id(session, account.establishment_id, account.id).balance


def count(runtime, model, *criteria):
    with runtime.db.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*criteria))


def test_manual_methods_are_offered_everywhere(regie_runtime, school):
    with regie_runtime.db.session() as session:
        place = session.get(Establishment, school.id)
        manual = payments.available_methods(regie_runtime, place, online=False)
        assert [m.code for m in manual] == ["cash", "cheque", "transfer", "card_on_site"]


def test_recording_cash_credits_the_account_with_a_gapless_receipt(regie_runtime, school,
                                                                   account):
    first = record(regie_runtime, school, account, amount=Money(1250, "EUR"))
    second = record(regie_runtime, school, account, amount=800, reference="97")
    assert (first.state, first.receipt_number, second.receipt_number) == ("succeeded", 1, 2)
    assert second.reference == "97" and first.reference
    assert balance(regie_runtime, account) == 2050
    assert ("succeeded", first.id, "succeeded", 1) in CALLS
    assert ("succeeded/after", first.id) in CALLS


def test_payment_hooks_get_the_runtime_outside_any_web_request(regie_runtime, school, account):
    """A worker confirming a Paybox payment has no Flask app: the hooks get the runtime."""
    from flask import has_app_context

    assert not has_app_context()
    record(regie_runtime, school, account)
    assert all(runtime is regie_runtime for runtime in RUNTIMES) and len(RUNTIMES) == 2


def test_method_fields_are_checked_and_every_problem_reported_at_once(regie_runtime, school,
                                                                      account):
    with pytest.raises(Invalid) as refused:
        record(regie_runtime, school, account, method="cheque", amount=0,
               fields={"number": "12a", "colour": "blue"})
    assert set(refused.value.errors) == {"number", "bank", "colour", "amount"}
    assert count(regie_runtime, Payment) == 0
    cheque = record(regie_runtime, school, account, method="cheque",
                    fields={"number": "0012345", "bank": "Crédit Agricole"})
    assert cheque.provider_data == {"number": "0012345", "bank": "Crédit Agricole"}
    with pytest.raises(Invalid) as refused:
        record(regie_runtime, school, account, method="card_on_site")
    assert refused.value.errors == {"slip_number": "is required"}


def test_an_existing_reference_is_refused_with_the_existing_payment_number(regie_runtime,
                                                                           school, account):
    existing = record(regie_runtime, school, account, reference="97")
    with pytest.raises(Invalid) as refused:
        record(regie_runtime, school, account, reference="97", amount=999)
    assert refused.value.errors["reference"] == (
        f"A payment (no. {existing.id}) with this reference (97) already exists")
    assert balance(regie_runtime, account) == 1250
    assert record(regie_runtime, school, account, method="transfer", reference="97",
                  fields={"transfer_reference": "VIR 2024-11"}).state == "succeeded"


def test_twenty_clerks_recording_one_reference_record_it_once(regie_runtime, school, account):
    barrier = threading.Barrier(20)

    def attempt(_n):
        barrier.wait()
        try:
            return record(regie_runtime, school, account, reference="REF-1").id
        except Invalid as exc:
            return exc.errors["reference"]

    with ThreadPoolExecutor(20) as pool:
        outcomes = list(pool.map(attempt, range(20)))
    winners = [outcome for outcome in outcomes if isinstance(outcome, int)]
    assert len(winners) == 1
    assert all("already exists" in outcome for outcome in outcomes if outcome not in winners)
    assert balance(regie_runtime, account) == 1250


def test_receipt_numbers_stay_gapless_under_concurrency(regie_runtime, school, account):
    with ThreadPoolExecutor(10) as pool:
        made = list(pool.map(lambda n: record(regie_runtime, school, account,
                                              reference=f"C{n}"), range(10)))
    assert sorted(payment.receipt_number for payment in made) == list(range(1, 11))


def test_clerks_paying_into_many_accounts_at_once_never_deadlock(regie_runtime, school):
    """Each payment locks its account, then the chain and the receipt counter: concurrent
    payments into different accounts must all take those in one order (PostgreSQL aborts one
    of two transactions that wait for each other, and the clerk sees an error)."""
    with regie_runtime.db.transaction() as session:
        place = session.get(Establishment, school.id)
        accounts = [ledger.open_account(session, place, kind="reservation.pupil",
                                        owner_key=str(n)) for n in range(24)]

    def pay(n):
        return record(regie_runtime, school, accounts[n % len(accounts)], amount=100 + n,
                      reference=f"M{n}").receipt_number

    with ThreadPoolExecutor(12) as pool:
        receipts = list(pool.map(pay, range(360)))
    assert sorted(receipts) == list(range(1, 361))
    with regie_runtime.db.session() as session:
        assert ledger.verify(session, session.get(Establishment, school.id)).ok


def test_online_payments_are_not_recorded_by_hand(regie_runtime, school, account):
    with pytest.raises(Veto, match="confirmed by their provider"):
        record(regie_runtime, school, account, method=payments_testing.FAKE_METHOD)
    with pytest.raises(NotFound, match="not offered"):
        record(regie_runtime, school, account, method="bitcoin")


def test_a_payment_is_voided_on_its_day_only(regie_runtime, school, account):
    today = record(regie_runtime, school, account, amount=500)
    with regie_runtime.db.transaction() as session:
        place = session.get(Establishment, school.id)
        later = today.succeeded_at + dt.timedelta(days=1)
        with pytest.raises(Veto, match="refund it instead"):
            payments.cancel(session, regie_runtime, place, today.id, now=later)
    with regie_runtime.db.transaction() as session:
        place = session.get(Establishment, school.id)
        payments.cancel(session, regie_runtime, place, today.id, reason="wrong pupil",
                        actor="clerk")
    assert balance(regie_runtime, account) == 0
    assert ("cancelled", today.id, True) in CALLS and ("cancelled/after", today.id) in CALLS
    with regie_runtime.db.session() as session:
        kinds = [entry.kind for entry in payments.entries_of(session, payments.get(
            session, school.id, today.id))]
        assert kinds == ["payment", "void"]
    assert ledger.verify_establishment(regie_runtime.db, school.id).ok


def test_partial_refunds_add_up_to_the_amount_at_most(regie_runtime, school, account):
    paid = record(regie_runtime, school, account, amount=1000)
    first = payments.refund(regie_runtime, school.id, paid.id, 300, reason="absent",
                            actor="clerk")
    assert (first.state, first.through_provider) == ("succeeded", False)
    with pytest.raises(Invalid, match="at most"):
        payments.refund(regie_runtime, school.id, paid.id, 701)
    rest = payments.refund(regie_runtime, school.id, paid.id)
    assert rest.amount == 700
    with regie_runtime.db.session() as session:
        payment = payments.get(session, school.id, paid.id)
        assert (payment.state, payment.refunded_amount) == ("refunded", 1000)
    assert balance(regie_runtime, account) == 0
    assert ("refunded", paid.id, 300, 300) in CALLS and ("refunded", paid.id, 700, 1000) in CALLS
    with pytest.raises(Veto, match="cannot be cancelled"), \
            regie_runtime.db.transaction() as session:
        payments.cancel(session, regie_runtime, session.get(Establishment, school.id), paid.id)


def confirm_online(runtime, school, account, amount=1250, stated=None):
    with runtime.db.transaction() as session:
        payment = payments.create_payment(session, runtime, session.get(Establishment, school.id),
                                          account=account, amount=amount,
                                          method=payments_testing.FAKE_METHOD)
        view = payments.payment_view(payment)
    raw = FakeAdapter().notification(view, "succeeded", amount=stated)
    return view, receive_notification(runtime, school.id, payments_testing.FAKE_METHOD, raw)


def test_an_online_refund_goes_through_the_provider(regie_runtime, school, account):
    view, _result = confirm_online(regie_runtime, school, account)
    with pytest.raises(Veto, match="refund through its provider"), \
            regie_runtime.db.transaction() as session:
        payments.cancel(session, regie_runtime, session.get(Establishment, school.id), view.id)
    refund = payments.refund(regie_runtime, school.id, view.id, 250, reason="overpaid")
    assert refund.through_provider and refund.provider_reference == f"R-{view.reference}"
    assert balance(regie_runtime, account) == 1000


def test_a_veto_on_money_already_taken_sends_the_payment_to_review(regie_runtime, school,
                                                                   account):
    BEHAVIOUR["veto"] = True
    view, result = confirm_online(regie_runtime, school, account)
    assert (result.status, result.payment_state) == ("review", "needs_review")
    assert "the order was closed" in result.reason
    assert balance(regie_runtime, account) == 0
    assert count(regie_runtime, LedgerEntry) == 0
    assert not any(call[0] == "succeeded/after" for call in CALLS)
    BEHAVIOUR.clear()
    with regie_runtime.db.transaction() as session:
        payments.resolve_review(session, regie_runtime, session.get(Establishment, school.id),
                                view.id, accept=True, note="order reopened", actor="boss")
    assert balance(regie_runtime, account) == 1250
    with regie_runtime.db.session() as session:
        assert payments.get(session, school.id, view.id).receipt_number == 1


def test_a_veto_on_a_recorded_payment_records_nothing(regie_runtime, school, account):
    BEHAVIOUR["veto"] = True
    with pytest.raises(Veto, match="the order was closed"):
        record(regie_runtime, school, account)
    assert count(regie_runtime, Payment) == 0 and balance(regie_runtime, account) == 0
    BEHAVIOUR.clear()
    assert record(regie_runtime, school, account).receipt_number == 1


def test_a_failing_postcommit_hook_is_logged_and_the_payment_kept(regie_runtime, school,
                                                                  account, caplog):
    BEHAVIOUR["postcommit_fails"] = True
    with caplog.at_level(logging.ERROR, logger="regie.payments"):
        paid = record(regie_runtime, school, account)
    assert "regie_payment_succeeded_postcommit" in caplog.text
    with regie_runtime.db.session() as session:
        assert payments.get(session, school.id, paid.id).state == "succeeded"


def test_review_accepts_what_the_provider_reported_or_rejects(regie_runtime, school, account):
    short, result = confirm_online(regie_runtime, school, account, amount=1250, stated=1200)
    assert result.status == "review"
    other, _ = confirm_online(regie_runtime, school, account, amount=500, stated=1)
    with regie_runtime.db.transaction() as session:
        place = session.get(Establishment, school.id)
        with pytest.raises(Invalid):
            payments.resolve_review(session, regie_runtime, place, short.id, accept=True,
                                    note=" ")
        payments.resolve_review(session, regie_runtime, place, short.id, accept=True,
                                note="bank statement shows 12,00 €")
        payments.resolve_review(session, regie_runtime, place, other.id, accept=False,
                                note="test transaction")
    with regie_runtime.db.session() as session:
        accepted = payments.get(session, school.id, short.id)
        assert (accepted.state, accepted.amount) == ("succeeded", 1200)
        assert accepted.review_evidence["asked_amount"] == 1250
        assert payments.get(session, school.id, other.id).state == "failed"
        trail = payments.audit_trail(session, accepted)
        assert [a.action for a in trail] == [
            "payment.create", "payment.needs_review", "payment.review_accepted",
            "payment.succeeded"]
        [entry] = payments.entries_of(session, accepted)
        assert trail[-1].details == {
            "reference": accepted.reference, "amount": 1200, "currency": "EUR",
            "receipt": accepted.receipt_number, "entry": entry.sequence}
        assert trail[-1].actor == trail[-2].actor
    assert balance(regie_runtime, account) == 1200


def test_search_filters_by_method_state_reference_and_period(regie_runtime, school, account,
                                                             make_establishment):
    cash = record(regie_runtime, school, account, reference="A-97")
    record(regie_runtime, school, account, method="transfer", reference="B-12",
           fields={"transfer_reference": "x"})
    confirm_online(regie_runtime, school, account)
    with regie_runtime.db.session() as session:
        def refs(**criteria):
            return [p.reference for p in payments.search(session, school.id, **criteria)]

        assert refs(method="cash") == ["A-97"]
        assert refs(reference="97") == ["A-97"]
        assert len(refs(state="succeeded")) == 3
        assert refs(start=cash.created_at + dt.timedelta(days=1)) == []
        assert len(refs(end=cash.created_at + dt.timedelta(days=1))) == 3
        other = make_establishment()
        assert payments.search(session, other.id) == []
        with pytest.raises(NotFound):
            payments.get(session, other.id, cash.id)


def test_an_unmatched_notification_is_recorded_on_the_account_staff_found(regie_runtime,
                                                                          school, account):
    from regie.services.payments_notifications import adopt
    from regie.services.providers import PaymentView

    adapter = FakeAdapter()
    ghost = PaymentView(id=0, reference="WEB-97", amount=1500, currency="EUR")
    result = receive_notification(regie_runtime, school.id, payments_testing.FAKE_METHOD,
                                  adapter.notification(ghost, "succeeded"))
    refused = receive_notification(regie_runtime, school.id, payments_testing.FAKE_METHOD,
                                   adapter.notification(attrs.evolve(ghost, reference="WEB-98"),
                                                        "failed"))
    assert result.status == refused.status == "unmatched"
    with pytest.raises(Invalid):
        adopt(regie_runtime, school.id, result.notification_id, account.id, note=" ")
    with pytest.raises(Veto, match="no money taken"):
        adopt(regie_runtime, school.id, refused.notification_id, account.id, note="checked")
    adopted = adopt(regie_runtime, school.id, result.notification_id, account.id,
                    note="Paybox back office: ticket 97 paid by Alice's parents", actor="boss")
    assert (adopted.status, adopted.payment_state) == ("applied", "succeeded")
    assert balance(regie_runtime, account) == 1500
    with regie_runtime.db.session() as session:
        payment = payments.get(session, school.id, adopted.payment_id)
        assert (payment.reference, payment.method, payment.receipt_number) == (
            "WEB-97", payments_testing.FAKE_METHOD, 1)
        adopted_event = session.scalar(select(AuditEvent).where(
            AuditEvent.action == "payment.notification_adopted"))
        assert adopted_event.details["payment"] == payment.id
        assert adopted_event.actor == "boss"
        assert payments.review_queue(session, school.id)[1][0].reference == "WEB-98"
    with pytest.raises(NotFound):
        adopt(regie_runtime, school.id, result.notification_id, account.id, note="again")
