"""The SMTP transport against a real SMTP server (aiosmtpd with STARTTLS, implicit TLS, AUTH):
batches on one connection, options, and the "send a test mail" check naming what failed."""

from __future__ import annotations

import socket
from email.message import EmailMessage

from regie.api import OutgoingMail
from regie_mail_smtp.transport import SMTPTransport


def mail(key: int, to: str = "client@example.org", subject: str = "Ticket") -> OutgoingMail:
    message = EmailMessage()
    message["From"] = "Boutique <boutique@shop.example>"
    message["Reply-To"] = "caisse@shop.example"
    message["To"] = to
    message["Subject"] = f"{subject} {key}"
    message["Message-ID"] = f"<test-{key}@shop.example>"
    message.set_content("Bonjour,\nvoici votre ticket.\n")
    message.add_attachment(b"%PDF-1.4 ticket", maintype="application", subtype="pdf",
                           filename="C1-000004-BRICO.pdf")
    return OutgoingMail(key, message, "boutique@shop.example", (to,))


def transport(server, **overrides) -> SMTPTransport:
    return SMTPTransport.from_settings({**server.smtp_settings(), **overrides})


def test_a_batch_goes_over_starttls_and_auth_with_its_attachment(smtp_server):
    results = transport(smtp_server).send([mail(1), mail(2), mail(3)])

    assert [result.ok for result in results] == [True, True, True]
    received = smtp_server.wait_for(3)
    assert {item.message["Message-ID"] for item in received} == {
        "<test-1@shop.example>", "<test-2@shop.example>", "<test-3@shop.example>"}
    assert all(item.authenticated_as == "regie" for item in received)
    attachment = next(received[0].message.iter_attachments())
    assert attachment.get_filename() == "C1-000004-BRICO.pdf"
    assert attachment.get_content() == b"%PDF-1.4 ticket"


def test_one_connection_serves_the_whole_batch(smtp_server, monkeypatch):
    import smtplib

    opened = []
    original = smtplib.SMTP.connect

    def counting_connect(self, *args, **kwargs):
        opened.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "connect", counting_connect)
    transport(smtp_server).send([mail(key) for key in range(10)])

    assert len(smtp_server.wait_for(10)) == 10
    assert len(opened) == 1


def test_implicit_tls_on_its_own_port(make_smtp_server):
    server = make_smtp_server(tls="ssl")

    results = transport(server, security="ssl").send([mail(1)])

    assert results[0].ok
    assert server.wait_for(1)[0].rcpt_tos == ("client@example.org",)


def test_read_receipt_priority_and_delivery_notification_when_the_server_offers_dsn(
        make_smtp_server):
    server = make_smtp_server(dsn=True)

    transport(server, read_receipt=True, priority="high", delivery_receipt=True).send([mail(1)])

    received = server.wait_for(1)[0]
    assert received.message["Disposition-Notification-To"] == "caisse@shop.example"
    assert received.message["X-Priority"] == "1 (Highest)"
    assert received.message["Importance"] == "high"
    assert received.rcpt_options == ("NOTIFY=SUCCESS,FAILURE",)


def test_no_delivery_notification_asked_from_a_server_without_dsn(smtp_server):
    results = transport(smtp_server, delivery_receipt=True).send([mail(1)])

    assert results[0].ok, results[0].error
    assert smtp_server.wait_for(1)[0].rcpt_options == ()


def test_a_refused_recipient_fails_that_message_only_and_for_good(smtp_server):
    smtp_server.refuse("nobody@example.org")

    results = {result.key: result for result in transport(smtp_server).send(
        [mail(1, "nobody@example.org"), mail(2)])}

    assert not results[1].ok and results[1].permanent
    assert "nobody@example.org" in results[1].error and "550" in results[1].error
    assert results[2].ok
    assert [item.rcpt_tos for item in smtp_server.wait_for(1)] == [("client@example.org",)]


def test_a_server_down_fails_every_message_for_a_later_retry(smtp_server):
    smtp_server.stop()

    results = transport(smtp_server).send([mail(1), mail(2)])

    assert [(result.ok, result.permanent) for result in results] == [(False, False)] * 2
    assert "refused the connection" in results[0].error


# --- the "send a test mail" check -----------------------------------------------------------------


def test_check_delivers_a_test_mail(smtp_server):
    result = transport(smtp_server).check(mail(1))

    assert result.ok and result.step == "delivered"
    assert smtp_server.wait_for(1)


def test_check_names_a_wrong_password(smtp_server):
    result = transport(smtp_server, password="not the password").check(mail(1))

    assert (result.ok, result.step) == (False, "auth")
    assert "Authentication failed for the user 'regie'" in result.message
    assert smtp_server.received == []


def test_check_names_a_server_name_that_does_not_resolve(smtp_server):
    result = transport(smtp_server, host="smtp.does-not-exist.invalid").check(mail(1))

    assert (result.ok, result.step) == (False, "dns")
    assert "smtp.does-not-exist.invalid" in result.message


def test_check_names_a_refused_connection(smtp_server):
    smtp_server.stop()

    result = transport(smtp_server).check(mail(1))

    assert (result.ok, result.step) == (False, "connect")
    assert "refused the connection" in result.message


def test_check_names_a_server_that_does_not_answer():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings = {"host": "127.0.0.1", "port": silent.getsockname()[1], "timeout": 1,
                    "security": "none"}
        result = SMTPTransport.from_settings(settings).check(mail(1))

    assert (result.ok, result.step) == (False, "connect")
    assert "No answer" in result.message


def test_check_names_an_untrusted_certificate(smtp_server):
    result = transport(smtp_server, ca_file="").check(mail(1))

    assert (result.ok, result.step) == (False, "tls")
    assert "cannot be trusted" in result.message


def test_check_names_tls_on_the_wrong_port(smtp_server):
    result = transport(smtp_server, security="ssl").check(mail(1))

    assert (result.ok, result.step) == (False, "tls")
    assert "TLS handshake" in result.message


def test_check_names_a_refused_recipient(smtp_server):
    smtp_server.refuse("client@example.org")

    result = transport(smtp_server).check(mail(1))

    assert (result.ok, result.step) == (False, "recipient")
    assert "client@example.org" in result.message


def test_check_without_a_server_says_to_enter_one():
    result = SMTPTransport.from_settings({"host": ""}).check(mail(1))

    assert (result.ok, result.step) == (False, "settings")


def test_check_says_when_the_server_wants_a_user_name(make_smtp_server):
    server = make_smtp_server(username="regie", password="secret", auth_required=True)

    result = transport(server, username="", password="").check(mail(1))

    assert (result.ok, result.step) == (False, "auth")
    assert "requires authentication" in result.message
