"""The school's pages: the logins window and its actions (initialization logins, list CSV and
PDF, labels, letters), the import with its reject file, a missing web payment entered by hand,
reservations per day with the names, planning and holidays; and the family's payment ticket."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from regie.services import payments, payments_requests
from regie.services.mail import checks, outbox
from regie.testing.payments import FAKE_METHOD, FakeAdapter
from regie_reservation import bookings, individuals, planning
from regie_reservation.models import Holiday, PlanningDay
from tests.plugins.reservation.conftest import post_form

BASE = "/college-jean-moulin/reservation"


@pytest.fixture
def admin(signed_in, school):
    return signed_in(roles={school: ["reservation.admin"]})


@pytest.fixture
def staff(signed_in, school):
    return signed_in(roles={school: ["reservation.staff"]})


def test_admin_makes_initialization_logins_for_a_class_and_lists_them(admin, make_individual,
                                                                      transaction):
    for name in ("Durand", "Petit"):
        make_individual(last_name=name, first_name="Léo", class_name="5B")
    make_individual(last_name="Other", class_name="6A")
    made = post_form(admin, f"{BASE}/logins", {"action": "initialize", "class": "5B"},
                     action=f"{BASE}/logins/action")
    assert made.status_code == 302
    page = admin.get(f"{BASE}/logins?class=5B").get_data(as_text=True)
    assert "leo.durand" in page and "leo.petit" in page and "Other" not in page
    csv_text = admin.get(f"{BASE}/logins.csv?class=5B").get_data().decode("utf-8-sig")
    assert "leo.durand" in csv_text and csv_text.count("\n") == 3
    pdf = post_form(admin, f"{BASE}/logins", {"action": "pdf", "class": "5B"},
                    action=f"{BASE}/logins/action")
    text = PdfReader(io.BytesIO(pdf.get_data())).pages[0].extract_text()
    assert "leo.durand" in text and "leo.petit" in text


def test_labels_of_the_ticked_pupils_with_the_layout_chosen(admin, make_individual):
    ids = [make_individual(login=f"pupil{n}", password=f"kamo-{n:02d}-tibu")
           for n in range(1, 6)]
    response = post_form(admin, f"{BASE}/logins", {
        "action": "labels", "ids": [str(i) for i in ids[:4]], "rows": "1", "columns": "2",
        "width": "100", "height": "50"}, action=f"{BASE}/logins/action")
    reader = PdfReader(io.BytesIO(response.get_data()))
    assert len(reader.pages) == 2
    text = "".join(page.extract_text() for page in reader.pages)
    assert all(f"pupil{n}" in text for n in range(1, 5)) and "pupil5" not in text
    bad = post_form(admin, f"{BASE}/logins", {
        "action": "labels", "ids": [str(ids[0])], "columns": "3", "width": "80"},
        action=f"{BASE}/logins/action")
    assert bad.status_code == 422 and "do not fit across" in bad.get_data(as_text=True)


def test_staff_sees_logins_but_cannot_reset_them(staff, make_individual):
    individual_id = make_individual(login="lea.x", password="kamo-12-tibu")
    assert "lea.x" in staff.get(f"{BASE}/logins").get_data(as_text=True)
    refused = post_form(staff, f"{BASE}/logins", {"action": "reset",
                                                  "ids": [str(individual_id)]},
                        action=f"{BASE}/logins/action")
    assert refused.status_code == 403
    assert staff.get(f"{BASE}/planning").status_code == 403


def test_import_shows_the_rejects_and_imports_nothing_then_the_good_file(admin,
                                                                         make_individual,
                                                                         transaction):
    make_individual(external_id="501")
    html = admin.get(f"{BASE}/logins/import").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    bad = admin.post(f"{BASE}/logins/import", data={
        "csrf_token": token,
        "file": (io.BytesIO(b"501;paul.h;secret99\n777;ghost;secret99\n"), "logins.csv")},
        content_type="multipart/form-data")
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "no individual has the id 777" in page
    assert "Download the reject file" in page
    with transaction() as (session, place):
        assert individuals.by_external_id(session, place, "501").login is None
    good = admin.post(f"{BASE}/logins/import", data={
        "csrf_token": token, "file": (io.BytesIO(b"501;paul.h;secret99\n"), "logins.csv")},
        content_type="multipart/form-data")
    assert good.status_code == 200 and "1 login imported" in good.get_data(as_text=True)


def test_a_missing_web_payment_is_entered_once_with_its_reference(admin, make_individual,
                                                                  transaction):
    individual_id = make_individual(login="zoe.k")
    done = post_form(admin, f"{BASE}/payments/manual", {
        "individual": "zoe.k", "reference": "97", "amount": "25"})
    assert done.status_code == 302
    again = post_form(admin, f"{BASE}/payments/manual", {
        "individual": "zoe.k", "reference": "97", "amount": "25"})
    assert again.status_code == 422
    assert "with this reference (97) already exists" in again.get_data(as_text=True)
    unknown = post_form(admin, f"{BASE}/payments/manual", {
        "individual": "nobody", "reference": "98", "amount": "25"})
    assert "no individual has this login" in unknown.get_data(as_text=True)
    with transaction() as (session, place):
        individual = individuals.get(session, place, individual_id)
        assert individuals.balance(session, place, individual) == 2500


def test_reservation_counts_and_printable_names(staff, make_individual, transaction):
    rules = planning.Rules(slots=planning.weekdays_planning(weekdays=range(7)))
    day = dt.date.today() + dt.timedelta(days=3)
    ids = [make_individual(last_name=name) for name in ("Alpha", "Bravo")]
    with transaction() as (session, place):
        for individual_id in ids:
            individual = individuals.get(session, place, individual_id)
            bookings.book(session, place, individual, rules, day,
                          now=dt.datetime.now().replace(tzinfo=None))
    page = staff.get(f"{BASE}/reservations").get_data(as_text=True)
    assert day.isoformat() in page and ">2<" in page
    names = staff.get(f"{BASE}/reservations/{day.isoformat()}").get_data(as_text=True)
    assert "Alpha" in names and "Bravo" in names and "window.print()" in names


def test_admin_saves_the_planning_and_holidays(admin, transaction):
    form = {"action": "planning"}
    for weekday in range(7):
        form |= {f"opens-{weekday}": "14", f"closes-{weekday}": "2", f"at-{weekday}": "18:30"}
        if weekday < 5:
            form[f"served-{weekday}"] = "1"
    assert post_form(admin, f"{BASE}/planning", form).status_code == 302
    bad = post_form(admin, f"{BASE}/planning", {**form, "opens-0": "1", "closes-0": "3"})
    assert bad.status_code == 422 and "opening must come before" in bad.get_data(as_text=True)
    post_form(admin, f"{BASE}/planning", {"action": "holiday", "label": "Noël",
                                          "first_day": "2026-12-19", "last_day": "2027-01-03"})
    wrong = post_form(admin, f"{BASE}/planning", {"action": "holiday", "first_day": "2027-01-03",
                                                  "last_day": "2026-12-19"})
    assert wrong.status_code == 422
    with transaction() as (session, place):
        rows = session.query(PlanningDay).filter_by(establishment_id=place.id).all()
        assert len(rows) == 7 and sum(row.served for row in rows) == 5
        assert {row.closes_at for row in rows} == {dt.time(18, 30)}
        assert session.query(Holiday).filter_by(establishment_id=place.id).one().label == "Noël"


@pytest.fixture
def school_settings(smtp_server) -> dict:
    return {"reservation_enabled": True}


def test_the_payment_ticket_goes_to_the_contact_email_after_the_notification(
        client, make_individual, regie_runtime, school, smtp_server, enable_plugin, transaction):
    enable_plugin(school, "mail_smtp", **smtp_server.smtp_settings(),
                  sender_address="cantine@example.org")
    with regie_runtime.db.session() as session:
        place = session.get(type(school), school.id)
        assert checks.send_test(regie_runtime, place, "direction@example.org").ok
    outbox.send_due(regie_runtime)
    smtp_server.clear()
    make_individual(login="lea.martin", password="kamo-12-tibu",
                    contact_email="parent@example.org", balance=500)
    post_form(client, f"{BASE}/portal/", {"login": "lea.martin", "password": "kamo-12-tibu"})
    started = post_form(client, f"{BASE}/portal/home", {"amount": "20"},
                        action=f"{BASE}/portal/top-up")
    token = started.headers["Location"].rsplit("/", 1)[1]
    payment, _action = payments_requests.pay_request(regie_runtime, school.id, token,
                                                     FAKE_METHOD)
    raw = FakeAdapter().notification(payments.payment_view(payment), "succeeded")
    client.get(f"/callbacks/{school.slug}/payments/notify/{FAKE_METHOD}?"
               f"{raw.query_string.decode()}")
    assert "€25.00" in client.get(f"{BASE}/portal/home").get_data(as_text=True)
    outbox.send_due(regie_runtime)
    mail = smtp_server.wait_for(1)[0]
    assert list(mail.rcpt_tos) == ["parent@example.org"]
    body = mail.message.get_body().get_content() if hasattr(mail.message, "get_body") \
        else str(mail.message)
    assert payment.reference in body and "25.00" in body
