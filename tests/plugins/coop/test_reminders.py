"""Reminders by mail to members in debt, through the core's outbox."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from regie.api import Establishment
from regie.db.mail import MailMessage
from regie.services import establishments
from regie.services.mail import checks
from regie_coop import accounts

from .conftest import ON_SITE, SLUG


@pytest.fixture
def group(make_establishment, smtp_server, regie_runtime):
    """The group sending mail through the test SMTP server, its test mail passed."""
    created = make_establishment(SLUG, name="AMAP du Marais", locale="en",
                                 email="amap@example.org", plugins={
                                     "coop": ON_SITE,
                                     "mail_smtp": {**smtp_server.smtp_settings(),
                                                   "sender_address": "amap@example.org"}})
    with regie_runtime.db.session() as session:
        place = establishments.by_slug(session, created.slug)
    assert checks.send_test(regie_runtime, place, "amap@example.org").ok
    return place


def test_members_in_debt_with_an_address_get_a_reminder(group, make_member, make_user, client,
                                                        regie_runtime):
    make_member("Debtor One", carry_over=-1250)
    make_member("Creditor", carry_over=900)
    with regie_runtime.db.transaction() as session:
        target = session.get(Establishment, group.id)
        silent = accounts.add_member(session, target, name="No Address", email="")
        accounts.add_carry_over(session, target, silent, -10)
    make_user("coordinator", roles={group: ["coop.coordinator"]})
    assert client.sign_in("coordinator", "correct horse battery staple").status_code == 302
    done = client.submit(f"/{SLUG}/coop/balances", {}, action=f"/{SLUG}/coop/balances/remind",
                         follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "1 reminder(s) queued." in page and "No e-mail address for: No Address." in page
    with regie_runtime.db.session() as session:
        message = session.scalars(select(MailMessage).where(
            MailMessage.subject.contains("owes"))).one()
        assert "€12.50" in message.subject


def test_without_a_mail_set_up_nothing_is_sent_and_the_reason_is_shown(
        make_establishment, make_user, client, regie_runtime):
    place = make_establishment("amap-sans-mail", locale="en", plugins={"coop": ON_SITE})
    with regie_runtime.db.transaction() as session:
        target = session.get(Establishment, place.id)
        member = accounts.add_member(session, target, name="Debtor", email="d@example.org")
        accounts.add_carry_over(session, target, member, -500)
    make_user("coordinator", roles={place: ["coop.coordinator"]})
    client.sign_in("coordinator", "correct horse battery staple")
    done = client.submit("/amap-sans-mail/coop/balances", {},
                         action="/amap-sans-mail/coop/balances/remind", follow_redirects=True)
    assert "No reminder was sent" in done.get_data(as_text=True)
    with regie_runtime.db.session() as session:
        assert session.scalars(select(MailMessage)).all() == []
