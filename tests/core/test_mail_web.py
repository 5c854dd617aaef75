"""The mail pages: outbox actions, settings with the test button, the template editor and the
receipt-sending assistant, through the web client against a real SMTP server. Establishments
speak English here, so pages can be checked against the source texts."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from regie.db.mail import MailMessage, MailTemplate
from regie.db.models import Establishment
from regie.services import establishments, ledger, payments
from regie.services.mail import checks, outbox


@pytest.fixture
def shop(make_establishment, smtp_server, regie_runtime):
    created = make_establishment(name="Brico", email="contact@brico.example", locale="en", plugins={
        "mail_smtp": {**smtp_server.smtp_settings(), "sender_address": "caisse@brico.example"}})
    with regie_runtime.db.session() as session:
        establishment = establishments.by_slug(session, created.slug)
    assert checks.send_test(regie_runtime, establishment, "owner@brico.example").ok
    smtp_server.clear()
    return establishment


@pytest.fixture
def manager(shop, signed_in, make_user):
    user = make_user(roles={shop: ["manager"]}, full_name="Paul Dupond")
    return signed_in(user)


def url(shop, path: str) -> str:
    return f"/{shop.slug}/mail/{path}"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def queue(runtime, shop, **fields) -> int:
    values = {"to": "client@example.org", "subject": "Votre ticket", "text": "Bonjour"}
    values.update(fields)
    with runtime.db.transaction() as session:
        return outbox.queue(session, runtime, shop, **values).id


def state_of(runtime, message_id: int) -> str:
    with runtime.db.session() as session:
        return session.get(MailMessage, message_id).state


def succeeded_payment(runtime, shop, *, payer_email="client@example.org", payer_name="Martin"):
    with runtime.db.transaction() as session:
        establishment = session.get(Establishment, shop.id)
        account = ledger.open_account(session, establishment, kind="customer", owner_key="c1",
                                      label="Client")
        payment = payments.create_payment(session, runtime, establishment, account=account,
                                          amount=1250, method="cash", payer_email=payer_email,
                                          payer_name=payer_name, description="Peinture")
        assert payments.succeed_or_review(session, runtime, establishment, payment,
                                          actor=None) == "succeeded"
        return payment.id


# --- outbox -----------------------------------------------------------------------------------


def test_the_outbox_shows_each_state_with_the_reason_of_a_failure(
        shop, manager, smtp_server, regie_runtime):
    smtp_server.refuse("nobody@example.org")
    queue(regie_runtime, shop, subject="Pour le client")
    queue(regie_runtime, shop, subject="Pour personne", to="nobody@example.org")
    outbox.send_due(regie_runtime)

    page = text(manager.get(url(shop, "")))

    assert "Pour le client" in page and "Pour personne" in page
    assert 'data-state="sent"' in page and 'data-state="failed"' in page
    assert "550" in page
    failed_only = text(manager.get(url(shop, "?state=failed")))
    assert "Pour personne" in failed_only and "Pour le client" not in failed_only


def test_retry_from_the_message_page_sends_it_once_the_problem_is_fixed(
        shop, manager, smtp_server, regie_runtime):
    smtp_server.refuse("nobody@example.org")
    message_id = queue(regie_runtime, shop, to="nobody@example.org")
    outbox.send_due(regie_runtime)
    page = text(manager.get(url(shop, str(message_id))))
    assert "Retry now" in page and "Abandon" in page and "550" in page

    smtp_server.accept("nobody@example.org")
    response = manager.submit(url(shop, str(message_id)), action=url(shop, f"{message_id}/retry"))

    assert response.status_code == 302
    assert state_of(regie_runtime, message_id) == "sent"
    assert smtp_server.wait_for(1)[0].rcpt_tos == ("nobody@example.org",)


def test_abandon_keeps_the_message_listed(shop, manager, smtp_server, regie_runtime):
    smtp_server.stop()
    message_id = queue(regie_runtime, shop)
    outbox.send_due(regie_runtime)

    manager.submit(url(shop, str(message_id)), action=url(shop, f"{message_id}/cancel"))

    assert state_of(regie_runtime, message_id) == "cancelled"
    assert "Votre ticket" in text(manager.get(url(shop, "?state=cancelled")))


def test_resend_to_another_address(shop, manager, smtp_server, regie_runtime):
    message_id = queue(regie_runtime, shop)
    outbox.send_due(regie_runtime)

    response = manager.submit(url(shop, str(message_id)), {"to": "autre@example.org"},
                              action=url(shop, f"{message_id}/resend"))

    assert response.status_code == 302
    first, second = smtp_server.wait_for(2)
    assert second.rcpt_tos == ("autre@example.org",)
    assert first.message["Message-ID"] != second.message["Message-ID"]


def test_resend_to_a_bad_address_says_why(shop, manager, smtp_server, regie_runtime):
    message_id = queue(regie_runtime, shop)
    outbox.send_due(regie_runtime)

    response = manager.submit(url(shop, str(message_id)), {"to": "pas une adresse"},
                              action=url(shop, f"{message_id}/resend"), follow_redirects=True)

    assert "is not a valid e-mail address" in text(response)
    with regie_runtime.db.session() as session:
        assert len(session.scalars(select(MailMessage)).all()) == 1


def test_another_establishments_mail_is_not_found(shop, manager, make_establishment,
                                                  smtp_server, regie_runtime):
    other = make_establishment(plugins={"mail_smtp": smtp_server.smtp_settings()})
    with regie_runtime.db.session() as session:
        other = establishments.by_slug(session, other.slug)
    assert checks.send_test(regie_runtime, other, "owner@example.org").ok
    message_id = queue(regie_runtime, other)

    assert manager.get(url(shop, str(message_id))).status_code == 404


# --- settings ---------------------------------------------------------------------------------


def test_settings_page_sends_a_test_mail_and_allows_sending(
        make_establishment, signed_in, make_user, smtp_server, regie_runtime):
    created = make_establishment(locale="en",
                                 plugins={"mail_smtp": smtp_server.smtp_settings()})
    client = signed_in(make_user(roles={created: ["manager"]}))
    page = text(client.get(url(created, "settings")))
    assert 'data-verified="no"' in page

    response = client.submit(url(created, "settings"), {"to": "owner@example.org"},
                             action=url(created, "settings/test"))

    assert 'data-step="delivered"' in text(response)
    assert 'data-verified="yes"' in text(client.get(url(created, "settings")))
    assert smtp_server.wait_for(1)[0].rcpt_tos == ("owner@example.org",)


def test_a_failing_test_mail_says_what_failed(make_establishment, signed_in, make_user,
                                              smtp_server):
    created = make_establishment(locale="en", plugins={"mail_smtp": {
        **smtp_server.smtp_settings(), "password": "wrong"}})
    client = signed_in(make_user(roles={created: ["manager"]}))

    response = client.submit(url(created, "settings"), {"to": "owner@example.org"},
                             action=url(created, "settings/test"))

    page = text(response)
    assert 'data-step="auth"' in page and "Authentication failed" in page
    assert 'data-verified="no"' in page


def test_my_settings_override_the_sender_and_need_their_own_test(
        shop, manager, smtp_server, regie_runtime):
    response = manager.submit(url(shop, "settings/me"), {
        "transport": "", "sender_name": "Paul", "sender_address": "paul@brico.example"})
    assert response.status_code == 302
    assert 'data-verified="no"' in text(manager.get(url(shop, "settings/me")))

    response = manager.submit(url(shop, "settings/me"), {"to": "paul@brico.example"},
                              action=url(shop, "settings/me/test"))

    assert 'data-verified="yes"' in text(response)
    assert smtp_server.wait_for(1)[0].message["From"] == "Paul <paul@brico.example>"


def test_my_settings_refuse_a_bad_sender_address(shop, manager):
    response = manager.submit(url(shop, "settings/me"),
                              {"transport": "", "sender_address": "paul@"})

    assert response.status_code == 422
    assert "is not a valid e-mail address" in text(response)


# --- templates --------------------------------------------------------------------------------


def test_a_template_with_a_syntax_error_is_refused_with_its_line(shop, manager, regie_runtime):
    response = manager.submit(url(shop, "templates/receipt"), {
        "subject": "Ticket", "text_body": "Bonjour,\n\n{% if receipt.number %}\nsans fin"})

    assert response.status_code == 422
    assert re.search(r"line [34]: syntax error", text(response))
    with regie_runtime.db.session() as session:
        assert session.scalars(select(MailTemplate)).all() == []


@pytest.mark.parametrize("escape", [
    "{{ ''.__class__.__mro__ }}",
    "{{ receipt.number.__class__ }}",
    "{{ payer.name.upper() }}",
])
def test_a_template_reaching_outside_its_data_gets_a_sandbox_message(shop, manager, escape):
    response = manager.submit(url(shop, "templates/receipt"), {
        "subject": "Ticket", "text_body": f"Bonjour\n{escape}"})

    assert response.status_code == 422
    assert "outside the template's data" in text(response)


def test_an_unknown_placeholder_is_named(shop, manager):
    response = manager.submit(url(shop, "templates/receipt"), {
        "subject": "Ticket {{ recu.numero }}", "text_body": "Bonjour"})

    assert response.status_code == 422
    assert "'recu' is not a placeholder of this document" in text(response)


def test_a_saved_template_is_used_and_an_empty_subject_gets_the_default(
        shop, manager, regie_runtime):
    response = manager.submit(url(shop, "templates/receipt"), {
        "subject": "", "text_body": "Vous avez été reçu(e) par M. {{ cashier.name }}.",
        "fixed_recipients": "compta@brico.example"})
    assert response.status_code == 302
    page = text(manager.get(url(shop, "templates/receipt")))

    assert "Brico - Receipt" in page, "default subject: establishment name + document label"
    assert "Vous avez été reçu(e) par M. DUPOND." in page, "preview with the sample cashier"


def test_the_preview_is_rendered_by_the_server(shop, manager):
    token = manager.csrf_token(url(shop, "templates/receipt"))

    response = manager.post(url(shop, "templates/receipt/preview"), data={
        "csrf_token": token, "subject": "Ticket {{ receipt.number }}",
        "text_body": "Total {{ receipt.total }}"})

    assert response.status_code == 200
    assert "Ticket 000004" in text(response) and "Total 12,50 €" in text(response)


def test_the_editor_lists_the_placeholders_with_related_fields(shop, manager):
    page = text(manager.get(url(shop, "templates/receipt")))

    assert "Cashier name" in page and "{{ cashier.name }}" in page
    assert "Receipt number" in page


def test_fixed_recipients_are_checked(shop, manager):
    response = manager.submit(url(shop, "templates/receipt"), {
        "text_body": "Bonjour", "fixed_recipients": "compta@brico.example; faux"})

    assert response.status_code == 422
    assert "'faux' is not a valid e-mail address" in text(response)


# --- the receipt assistant --------------------------------------------------------------------


def test_the_assistant_sends_the_receipt_pdf_with_the_template(
        shop, manager, smtp_server, regie_runtime):
    payment_id = succeeded_payment(regie_runtime, shop)
    page = text(manager.get(url(shop, f"receipts/{payment_id}")))
    assert "client@example.org" in page and "(always attached)" in page

    response = manager.submit(url(shop, f"receipts/{payment_id}"), {
        "recipients": "client@example.org; compta@brico.example"})

    assert response.status_code == 302
    (received,) = smtp_server.wait_for(1)
    assert received.rcpt_tos == ("client@example.org", "compta@brico.example")
    assert received.message["Subject"] == "Brico - Receipt"
    (attachment,) = received.message.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")


def test_the_assistant_takes_extra_attachments_within_the_limit(
        shop, manager, smtp_server, regie_runtime):
    import io

    payment_id = succeeded_payment(regie_runtime, shop)
    token = manager.csrf_token(url(shop, f"receipts/{payment_id}"))

    response = manager.post(url(shop, f"receipts/{payment_id}"), data={
        "csrf_token": token, "recipients": "client@example.org", "subject": "Votre ticket",
        "text": "Bonjour", "attachments": [(io.BytesIO(b"x" * 20_000_000), "video.mp4")]},
        content_type="multipart/form-data")

    assert response.status_code == 422
    assert "video.mp4" in text(response) and "too large" in text(response)
    assert smtp_server.received == []


def test_the_assistant_refuses_a_bad_address(shop, manager, smtp_server, regie_runtime):
    payment_id = succeeded_payment(regie_runtime, shop)

    response = manager.submit(url(shop, f"receipts/{payment_id}"), {"recipients": "martin@"})

    assert response.status_code == 422
    assert "is not a valid e-mail address" in text(response)


def test_a_walk_in_customers_address_is_not_kept(shop, manager, smtp_server, regie_runtime):
    payment_id = succeeded_payment(regie_runtime, shop, payer_email="")
    form = text(manager.get(url(shop, f"receipts/{payment_id}")))
    assert re.search(r'<input checked[^>]*name="forget_recipients"', form)

    manager.submit(url(shop, f"receipts/{payment_id}"), {"recipients": "passant@example.org"})

    assert smtp_server.wait_for(1)[0].rcpt_tos == ("passant@example.org",)
    with regie_runtime.db.session() as session:
        sent = session.scalars(select(MailMessage)).one()
    assert (sent.state, sent.recipients) == ("sent", [])


def test_a_failed_send_shows_why_and_keeps_the_pdf(shop, manager, smtp_server, regie_runtime):
    payment_id = succeeded_payment(regie_runtime, shop)
    smtp_server.stop()

    response = manager.submit(url(shop, f"receipts/{payment_id}"), {}, follow_redirects=True)

    page = text(response)
    assert "could not be sent" in page and "refused the connection" in page
    assert "Retry now" in page and "Abandon" in page
    download = re.search(r'href="(/[^"]+/documents/\d+)"', page).group(1)
    assert manager.get(download).get_data().startswith(b"%PDF")


def test_the_pdf_preview(shop, manager, regie_runtime):
    payment_id = succeeded_payment(regie_runtime, shop)

    response = manager.get(url(shop, f"receipts/{payment_id}/preview.pdf"))

    assert response.status_code == 200 and response.mimetype == "application/pdf"
