"""The durable outbox against a real SMTP server: nothing lost while the server is down, nothing
sent twice, clear reasons for refusals, and the seed's "no sending before a successful test"."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from regie.db.base import utcnow
from regie.db.mail import MailMessage
from regie.services import documents, establishments
from regie.services.errors import Invalid, Veto
from regie.services.mail import checks, outbox
from regie.services.mail import settings as mail_settings


@pytest.fixture
def shop(make_establishment, smtp_server, regie_runtime):
    """An establishment sending through the test SMTP server, its test mail passed."""
    created = make_establishment(name="Brico", email="contact@brico.example", plugins={
        "mail_smtp": {**smtp_server.smtp_settings(), "sender_name": "Brico",
                      "sender_address": "caisse@brico.example"}})
    establishment = reload(regie_runtime, created)
    result = checks.send_test(regie_runtime, establishment, "owner@brico.example")
    assert result.ok, result.message
    smtp_server.clear()
    return establishment


def reload(runtime, establishment):
    with runtime.db.session() as session:
        return establishments.by_slug(session, establishment.slug)


def queue(runtime, establishment, **fields):
    values = {"to": "client@example.org", "subject": "Votre ticket", "text": "Bonjour"}
    values.update(fields)
    with runtime.db.transaction() as session:
        return outbox.queue(session, runtime, establishment, **values).id


def message(runtime, message_id) -> MailMessage:
    with runtime.db.session() as session:
        return session.get(MailMessage, message_id)


def test_a_queued_mail_is_delivered_with_its_headers_and_attachment(
        shop, smtp_server, regie_runtime):
    with regie_runtime.db.transaction() as session:
        pdf = documents.store(session, shop, kind="receipt", filename="C1-000004-BRICO.pdf",
                              content_type="application/pdf", content=b"%PDF-1.4 receipt",
                              record_type="payment", record_id=4, permission="payments.view")
        message_id = outbox.queue(session, regie_runtime, shop, to="client@example.org",
                                  subject="Ticket 000004", text="Bonjour", attachments=[pdf]).id

    report = outbox.send_due(regie_runtime)

    assert report == outbox.SendReport(sent=1)
    (received,) = smtp_server.wait_for(1)
    stored = message(regie_runtime, message_id)
    assert stored.state == "sent" and stored.transport == "smtp"
    assert received.message["Message-ID"] == stored.message_id
    assert received.message["From"] == "Brico <caisse@brico.example>"
    assert received.mail_from == "caisse@brico.example"
    assert received.message["Subject"] == "Ticket 000004"
    attachment = next(received.message.iter_attachments())
    assert (attachment.get_filename(), attachment.get_content()) == (
        "C1-000004-BRICO.pdf", b"%PDF-1.4 receipt")


def test_a_server_down_for_an_hour_loses_nothing_and_sends_each_mail_once(
        shop, smtp_server, regie_runtime):
    ids = [queue(regie_runtime, shop, subject=f"Ticket {number}") for number in range(3)]
    smtp_server.stop()
    start = utcnow()

    now = start
    while now < start + dt.timedelta(hours=1):
        outbox.send_due(regie_runtime, now=now)
        now += dt.timedelta(minutes=1)

    waiting = [message(regie_runtime, message_id) for message_id in ids]
    assert {item.state for item in waiting} == {"queued"}
    assert all("refused the connection" in item.last_error for item in waiting)
    assert all(item.next_attempt_at > start + dt.timedelta(hours=1) for item in waiting)
    attempts = waiting[0].attempts
    assert 5 <= attempts < outbox.MAX_ATTEMPTS, "backoff spaces the attempts out"

    smtp_server.start()
    outbox.send_due(regie_runtime, now=now + dt.timedelta(hours=1))
    outbox.send_due(regie_runtime, now=now + dt.timedelta(hours=2))

    received = smtp_server.wait_for(3)
    assert len(received) == 3
    sent = [message(regie_runtime, message_id) for message_id in ids]
    assert {item.state for item in sent} == {"sent"}
    assert sorted(mail.message["Message-ID"] for mail in received) == sorted(
        item.message_id for item in waiting), "the Message-ID chosen when queued is kept"


def test_a_message_not_due_yet_is_left_alone(shop, smtp_server, regie_runtime):
    message_id = queue(regie_runtime, shop)
    smtp_server.stop()
    outbox.send_due(regie_runtime)
    smtp_server.start()

    assert outbox.send_due(regie_runtime) == outbox.SendReport()
    assert message(regie_runtime, message_id).state == "queued"


def test_attempts_give_up_after_the_maximum(shop, smtp_server, regie_runtime):
    message_id = queue(regie_runtime, shop)
    smtp_server.stop()
    now = utcnow()

    for _attempt in range(outbox.MAX_ATTEMPTS):
        outbox.send_due(regie_runtime, now=now)
        now += outbox.LONGEST_WAIT

    failed = message(regie_runtime, message_id)
    assert (failed.state, failed.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert failed.next_attempt_at is None


def test_backoff_doubles_up_to_an_hour():
    assert [outbox.backoff(n).total_seconds() / 60 for n in range(1, 9)] == [
        1, 2, 4, 8, 16, 32, 60, 60]


def test_a_refused_recipient_fails_with_the_reason_and_retry_sends_it(
        shop, smtp_server, regie_runtime):
    smtp_server.refuse("nobody@example.org")
    message_id = queue(regie_runtime, shop, to="nobody@example.org")

    assert outbox.send_due(regie_runtime) == outbox.SendReport(failed=1)
    failed = message(regie_runtime, message_id)
    assert failed.state == "failed"
    assert "nobody@example.org" in failed.last_error and "550" in failed.last_error

    smtp_server.accept("nobody@example.org")
    with regie_runtime.db.transaction() as session:
        outbox.retry(session, shop, message_id)
    outbox.send_due(regie_runtime)

    assert message(regie_runtime, message_id).state == "sent"
    assert smtp_server.wait_for(1)[0].rcpt_tos == ("nobody@example.org",)


def test_one_refused_recipient_among_several_is_reported_on_the_sent_message(
        shop, smtp_server, regie_runtime):
    smtp_server.refuse("nobody@example.org")
    message_id = queue(regie_runtime, shop, to="client@example.org; nobody@example.org")

    outbox.send_due(regie_runtime)

    sent = message(regie_runtime, message_id)
    assert sent.state == "sent"
    assert list(sent.refused) == ["nobody@example.org"]
    assert "nobody@example.org" in sent.last_error


def test_cancel_abandons_a_waiting_message(shop, smtp_server, regie_runtime):
    message_id = queue(regie_runtime, shop)
    with regie_runtime.db.transaction() as session:
        outbox.cancel(session, shop, message_id)

    outbox.send_due(regie_runtime)

    assert message(regie_runtime, message_id).state == "cancelled"
    assert smtp_server.received == []
    with regie_runtime.db.transaction() as session, pytest.raises(Veto):
        outbox.cancel(session, shop, message_id)


def test_the_walk_in_customers_address_is_erased_once_sent(shop, smtp_server, regie_runtime):
    message_id = queue(regie_runtime, shop, to="walk-in@example.org", forget_recipients=True)

    outbox.send_due(regie_runtime)

    sent = message(regie_runtime, message_id)
    assert smtp_server.wait_for(1)[0].rcpt_tos == ("walk-in@example.org",)
    assert (sent.state, sent.recipients, sent.recipients_forgotten) == ("sent", [], True)
    with regie_runtime.db.transaction() as session, pytest.raises(Invalid) as refused:
        outbox.resend(session, regie_runtime, shop, message_id)
    assert "not kept" in refused.value.errors["recipients"]


def test_resend_queues_a_copy_with_a_new_message_id(shop, smtp_server, regie_runtime):
    message_id = queue(regie_runtime, shop)
    outbox.send_due(regie_runtime)
    with regie_runtime.db.transaction() as session:
        copy_id = outbox.resend(session, regie_runtime, shop, message_id,
                                to="other@example.org").id

    outbox.send_due(regie_runtime)

    first, second = smtp_server.wait_for(2)
    assert second.rcpt_tos == ("other@example.org",)
    assert first.message["Message-ID"] != second.message["Message-ID"]
    assert message(regie_runtime, copy_id).resent_from_id == message_id


def test_a_claim_left_by_a_dead_worker_is_taken_back(shop, smtp_server, regie_runtime):
    message_id = queue(regie_runtime, shop)
    with regie_runtime.db.transaction() as session:
        stuck = session.get(MailMessage, message_id)
        stuck.state, stuck.claimed_at = "sending", utcnow() - outbox.STALE_CLAIM * 2

    outbox.send_due(regie_runtime)

    assert message(regie_runtime, message_id).state == "sent"
    assert len(smtp_server.wait_for(1)) == 1


def test_sending_is_refused_until_a_test_mail_went_through(
        make_establishment, smtp_server, regie_runtime):
    establishment = reload(regie_runtime, make_establishment(
        plugins={"mail_smtp": smtp_server.smtp_settings()}))

    with pytest.raises(Veto, match="test mail"):
        queue(regie_runtime, establishment)

    assert checks.send_test(regie_runtime, establishment, "owner@example.org").ok
    queue(regie_runtime, establishment)


def test_changed_settings_need_a_new_test(shop, smtp_server, regie_runtime):
    with regie_runtime.db.transaction() as session:
        establishment = establishments.by_slug(session, shop.slug)
        establishments.update_settings(session, regie_runtime.engine, establishment,
                                       "mail_smtp", {"sender_name": "Brico Dépôt"})

    with pytest.raises(Veto, match="test mail"):
        queue(regie_runtime, reload(regie_runtime, shop))


def test_a_failed_test_mail_does_not_allow_sending(
        make_establishment, smtp_server, regie_runtime):
    establishment = reload(regie_runtime, make_establishment(
        plugins={"mail_smtp": {**smtp_server.smtp_settings(), "password": "wrong"}}))

    result = checks.send_test(regie_runtime, establishment, "owner@example.org")

    assert (result.ok, result.step) == (False, "auth")
    with pytest.raises(Veto):
        queue(regie_runtime, establishment)


def test_without_a_transport_there_is_nothing_to_test(make_establishment, regie_runtime):
    establishment = reload(regie_runtime, make_establishment())

    result = checks.send_test(regie_runtime, establishment, "owner@example.org")

    assert (result.ok, result.step) == (False, "settings")
    assert "enable a mail module" in result.message


@pytest.mark.parametrize("to", ["not an address", "a@b.fr; broken@", ""])
def test_bad_addresses_are_refused_and_nothing_is_queued(shop, regie_runtime, to):
    with pytest.raises(Invalid) as refused:
        queue(regie_runtime, shop, to=to)

    assert refused.value.errors["recipients"]
    with regie_runtime.db.session() as session:
        assert session.scalars(select(MailMessage)).all() == []


def test_several_addresses_separated_by_semicolons(shop, smtp_server, regie_runtime):
    queue(regie_runtime, shop, to=" a@example.org ;b@example.org;; A@example.org")

    outbox.send_due(regie_runtime)

    assert smtp_server.wait_for(1)[0].rcpt_tos == ("a@example.org", "b@example.org")


def test_attachments_over_the_size_limit_are_refused(shop, regie_runtime):
    with regie_runtime.db.transaction() as session:
        mail_settings.update(session, regie_runtime.engine, shop, {"max_attachment_kb": "1"})

    with pytest.raises(Invalid) as refused:
        queue(regie_runtime, shop, uploads=[
            outbox.Upload("photo.jpg", "image/jpeg", b"x" * 2048)])

    assert "photo.jpg" in refused.value.errors["attachments"]
    with regie_runtime.db.session() as session:
        assert session.scalars(select(MailMessage)).all() == []


def test_uploads_are_sent_and_kept_as_documents(shop, smtp_server, regie_runtime):
    message_id = queue(regie_runtime, shop, uploads=[
        outbox.Upload("plan.txt", "text/plain", b"rue de la Paix")])

    outbox.send_due(regie_runtime)

    attachment = next(smtp_server.wait_for(1)[0].message.iter_attachments())
    assert attachment.get_filename() == "plan.txt"
    with regie_runtime.db.session() as session:
        kept = documents.for_record(session, shop, "mail_message", message_id)
    assert [document.filename for document in kept] == ["plan.txt"]


def test_without_a_sender_address_the_platform_sender_is_used_with_replies_to_the_shop(
        make_establishment, smtp_server, regie_runtime):
    assert regie_runtime.config["base_url"].startswith("http://127.0.0.1")
    establishment = reload(regie_runtime, make_establishment(
        name="Boutique du Musée", email="boutique@musee.example",
        plugins={"mail_smtp": smtp_server.smtp_settings()}))
    assert checks.send_test(regie_runtime, establishment, "owner@example.org").ok

    queue(regie_runtime, establishment)
    outbox.send_due(regie_runtime)

    received = smtp_server.wait_for(2)[-1].message
    assert received["From"] == "Boutique du Musée <no-reply@localhost.localdomain>"
    assert received["Reply-To"] == "boutique@musee.example"


def test_a_users_own_sender_needs_its_own_test(shop, smtp_server, regie_runtime, make_user):
    clerk = make_user(roles={shop: ["manager"]})
    with regie_runtime.db.transaction() as session:
        mail_settings.update_user(session, regie_runtime.engine, shop, clerk,
                                  {"sender_name": "Paul", "sender_address": "paul@brico.example"})

    with pytest.raises(Veto):
        queue(regie_runtime, shop, user=clerk)
    assert checks.send_test(regie_runtime, shop, "paul@brico.example", user=clerk,
                            for_user=True).ok
    queue(regie_runtime, shop, user=clerk)
    outbox.send_due(regie_runtime)

    received = smtp_server.wait_for(2)[-1]
    assert received.message["From"] == "Paul <paul@brico.example>"
    queue(regie_runtime, shop)  # the establishment's own settings stay verified


def test_the_scheduled_task_sends_the_queue(shop, smtp_server, regie_runtime):
    from regie.tasks import runner

    queue(regie_runtime, shop)

    (outcome,) = runner.run_now(regie_runtime, "core.mail_outbox")

    assert outcome.status == "succeeded", outcome.error
    assert len(smtp_server.wait_for(1)) == 1
