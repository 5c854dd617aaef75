"""Login letters through the core letters: the logins window prepares a batch whose letters
carry the login, the password and the site address; the mail goes to the responsible, and an
e-mail typed on the letters page becomes the responsible's."""

from __future__ import annotations

import pytest

from regie.services.mail import checks, letters, outbox, placeholders, templates
from regie_reservation import individuals
from regie_reservation import letters as login_letters
from tests.plugins.reservation.conftest import post_form

BASE = "/college-jean-moulin/reservation"


@pytest.fixture
def mailing_school(school, smtp_server, regie_runtime, enable_plugin):
    enable_plugin(school, "mail_smtp", **smtp_server.smtp_settings(),
                  sender_address="cantine@example.org")
    with regie_runtime.db.session() as session:
        place = session.get(type(school), school.id)
        assert checks.send_test(regie_runtime, place, "direction@example.org").ok
    outbox.send_due(regie_runtime)
    smtp_server.clear()
    return school


def test_login_letters_by_mail_carry_login_password_and_site_address(
        mailing_school, signed_in, make_individual, regie_runtime, smtp_server):
    admin = signed_in(roles={mailing_school: ["reservation.admin", "manager"]})
    make_individual(login="lea.martin", password="kamo-12-tibu",
                    responsibles=[("Mme Martin", "martin@example.org")])
    make_individual(login="tom.petit", password="bapu-38-kemo", responsibles=[])
    response = post_form(admin, f"{BASE}/logins", {"action": "letters", "class": "6A"},
                         action=f"{BASE}/logins/action")
    assert response.status_code == 302 and "/mail/letters/" in response.headers["Location"]
    batch_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    kind = placeholders.document_type(regie_runtime.engine, login_letters.LOGIN_LETTER)
    with regie_runtime.db.transaction() as session:
        place = session.get(type(mailing_school), mailing_school.id)
        template = templates.save(session, regie_runtime.engine, place, kind, {
            **templates.defaults(place, kind, "Logins"), "name": "Logins",
            "text_body": "Bonjour,", "document_body": str(login_letters.DEFAULT_LETTER)})
        batch = letters.get(session, place, batch_id)
        assert {r["key"] for r in batch.recipients} == {
            f"individual:{i}" for i in _ids(session, place)}
        letters.start(session, regie_runtime, place, batch, template=template, by_mail=True,
                      by_print=False)
    with regie_runtime.db.session() as session:
        letters.run_now(regie_runtime, letters.get(session, mailing_school.id, batch_id))
    outbox.send_due(regie_runtime)
    mail = smtp_server.wait_for(1)[0]
    assert list(mail.rcpt_tos) == ["martin@example.org"]
    text = mail.message.as_string()
    assert "lea.martin" in text and "kamo-12-tibu" in text
    assert "/college-jean-moulin/reservation/portal/" in text


def _ids(session, place):
    from sqlalchemy import select

    from regie_reservation.models import Individual

    return session.scalars(select(Individual.id).where(Individual.establishment_id == place.id))


def test_an_email_typed_on_the_letters_page_becomes_the_responsible_s(transaction,
                                                                     make_individual):
    individual_id = make_individual(responsibles=[])
    with transaction() as (session, place):
        login_letters.save_address(session=session, establishment=place,
                                   key=f"individual:{individual_id}",
                                   address="parent@example.org")
    with transaction() as (session, place):
        individual = individuals.get(session, place, individual_id)
        assert [r.email for r in individual.responsibles] == ["parent@example.org"]


def test_the_individual_page_edits_login_and_responsibles_and_resets(
        signed_in, school, make_individual, transaction):
    admin = signed_in(roles={school: ["reservation.admin"]})
    make_individual(login="taken")
    individual_id = make_individual(login="zoe.d", password="kamo-12-tibu",
                                    first_name="Zoé", last_name="Durand")
    page = f"{BASE}/individuals/{individual_id}"
    taken = post_form(admin, page, {"action": "save", "login": "taken", "name": [""],
                                    "email": [""]})
    assert taken.status_code == 422 and "this login is taken" in taken.get_data(as_text=True)
    saved = post_form(admin, page, {"action": "save", "login": "zoe.durand",
                                    "name": ["M. Durand", ""],
                                    "email": ["durand@example.org", ""]})
    assert saved.status_code == 302
    assert post_form(admin, page, {"action": "reset"}).status_code == 302
    with transaction() as (session, place):
        individual = individuals.get(session, place, individual_id)
        assert [(r.name, r.email) for r in individual.responsibles] == [
            ("M. Durand", "durand@example.org")]
        assert individual.login == "zoe.durand"
        assert individual.initial_password != "kamo-12-tibu"


def test_the_dashboard_shows_counts_and_every_sync_stream(signed_in, school, make_individual):
    staff = signed_in(roles={school: ["reservation.staff"]})
    make_individual(login="a.b")
    page = staff.get(f"{BASE}/").get_data(as_text=True)
    assert "With a login" in page and "late" in page
    assert "/college-jean-moulin/reservation/portal/" in page
