"""The payment ticket of a top-up confirmed by a worker (an IPN applied by a task, the
reconciliation), outside any web request, reaches the family's contact address."""

from __future__ import annotations

import pytest
from flask import has_app_context

from regie.api import Establishment, receive_notification
from regie.services import payments, payments_requests
from regie.services.mail import checks, outbox
from regie.testing.payments import FAKE_METHOD, FakeAdapter
from regie_reservation import individuals, topups
from regie_reservation.sync.models import SyncPayment


@pytest.fixture
def mailing_school(school, smtp_server, regie_runtime, enable_plugin):
    enable_plugin(school, "mail_smtp", **smtp_server.smtp_settings(),
                  sender_address="cantine@example.org")
    with regie_runtime.db.session() as session:
        assert checks.send_test(regie_runtime, session.get(Establishment, school.id),
                                "direction@example.org").ok
    outbox.send_due(regie_runtime)
    smtp_server.clear()
    return school


@pytest.mark.parametrize(("locale", "words"), [
    ("en", ("Payment ticket", "€20.00", "€25.00")),
    ("fr", ("Ticket de paiement", "20,00\xa0€", "25,00\xa0€")),
])
def test_a_top_up_confirmed_by_a_worker_mails_the_ticket_in_the_schools_language(
        mailing_school, make_individual, transaction, regie_runtime, smtp_server, session,
        locale, words):
    assert not has_app_context(), "this test plays a task worker: no Flask app around"
    with regie_runtime.db.transaction() as db:
        db.get(Establishment, mailing_school.id).locale = locale
    individual_id = make_individual(login="lea.martin", contact_email="parent@example.org",
                                    balance=500)
    with transaction() as (db, place):
        link = topups.start(db, regie_runtime, place,
                            individuals.get(db, place, individual_id), 2000)
    payment, _action = payments_requests.pay_request(
        regie_runtime, mailing_school.id, link.rsplit("/", 1)[1], FAKE_METHOD)
    raw = FakeAdapter().notification(payments.payment_view(payment), "succeeded")

    result = receive_notification(regie_runtime, mailing_school.id, FAKE_METHOD, raw)

    assert result.status == "applied"
    assert session.query(SyncPayment).filter_by(payment_id=payment.id).one().amount == 2000
    assert outbox.send_due(regie_runtime)
    mail = smtp_server.wait_for(1)[0]
    assert list(mail.rcpt_tos) == ["parent@example.org"]
    body = mail.message.get_body().get_content()
    assert payment.reference in body and all(word in body for word in words), body
