"""``regie mail …``: the outbox from the command line, and the test mail."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from regie.cli.common import State
from regie.cli.main import cli
from regie.db.mail import MailMessage
from regie.services import establishments
from regie.services.mail import checks, outbox


@pytest.fixture
def regie(regie_runtime):
    def invoke(*args):
        return CliRunner().invoke(cli, [str(arg) for arg in args],
                                  obj=State(runtime=regie_runtime))

    return invoke


@pytest.fixture
def shop(make_establishment, smtp_server, regie_runtime):
    created = make_establishment(slug="brico", plugins={"mail_smtp": smtp_server.smtp_settings()})
    with regie_runtime.db.session() as session:
        return establishments.by_slug(session, created.slug)


def queue(runtime, shop, to="client@example.org") -> int:
    with runtime.db.transaction() as session:
        return outbox.queue(session, runtime, shop, to=to, subject="Ticket", text="Bonjour").id


def test_test_mail_allows_sending(regie, shop, smtp_server, regie_runtime):
    result = regie("mail", "test", "--establishment", "brico", "--to", "owner@example.org")

    assert result.exit_code == 0, result.output
    assert "Mail can now be sent for brico" in result.output
    assert smtp_server.wait_for(1)[0].rcpt_tos == ("owner@example.org",)
    queue(regie_runtime, shop)


def test_a_failed_test_mail_names_the_step(regie, make_establishment, smtp_server):
    make_establishment(slug="mauvais", plugins={"mail_smtp": {**smtp_server.smtp_settings(),
                                                             "password": "wrong"}})

    result = regie("mail", "test", "-e", "mauvais", "--to", "owner@example.org")

    assert result.exit_code == 1
    assert "step 'auth'" in result.output and "Authentication failed" in result.output


def test_outbox_retry_cancel_and_resend(regie, shop, smtp_server, regie_runtime):
    assert checks.send_test(regie_runtime, shop, "owner@example.org").ok
    smtp_server.clear()
    smtp_server.refuse("nobody@example.org")
    refused = queue(regie_runtime, shop, to="nobody@example.org")
    waiting = queue(regie_runtime, shop)
    outbox.send_due(regie_runtime, ids=[refused])

    listed = json.loads(regie("mail", "outbox", "--state", "failed", "--format", "json").output)
    assert [row["id"] for row in listed] == [refused]
    assert "550" in listed[0]["last_error"]

    failing = regie("mail", "retry", refused)
    assert failing.exit_code == 1 and "not sent" in failing.output
    smtp_server.accept("nobody@example.org")
    assert regie("mail", "retry", refused).exit_code == 0

    assert regie("mail", "cancel", waiting).exit_code == 0
    resent = regie("mail", "resend", refused, "--to", "autre@example.org")
    assert resent.exit_code == 0, resent.output

    with regie_runtime.db.session() as session:
        states = {row.id: row.state for row in session.query(MailMessage)}
    assert states[refused] == "sent" and states[waiting] == "cancelled"
    assert [mail.rcpt_tos for mail in smtp_server.wait_for(2)] == [
        ("nobody@example.org",), ("autre@example.org",)]


def test_an_unknown_mail_is_an_error(regie, shop):
    result = regie("mail", "retry", 999)

    assert result.exit_code == 1 and "no mail 999" in result.output
