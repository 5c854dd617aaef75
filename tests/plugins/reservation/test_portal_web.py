"""The family portal through the web: sign in with the pupil's login, balance and meals, top-up
limits and the way to the payment page, the Account tab, the Reservation tab."""

from __future__ import annotations

import datetime as dt
import html

from regie.testing.plugin import PASSWORD
from regie_reservation import individuals
from regie_reservation.models import Holiday, PlanningDay
from tests.plugins.reservation.conftest import post_form

PORTAL = "/college-jean-moulin/reservation/portal"


def signed_family(client, make_individual, **fields):
    individual_id = make_individual(login="lea.martin", password="kamo-12-tibu", **fields)
    page = post_form(client, f"{PORTAL}/", {"login": "Lea.Martin", "password": "kamo-12-tibu"})
    assert page.status_code in (200, 302)
    return individual_id


def test_a_family_signs_in_and_sees_balance_meals_and_balance_date(client, make_individual,
                                                                    transaction):
    as_of = dt.datetime(2026, 11, 16, 8, 5, tzinfo=dt.UTC)
    individual_id = signed_family(client, make_individual, balance=2500, balance_as_of=as_of)
    with transaction() as (session, place):
        individual = individuals.get(session, place, individual_id)
        today = dt.date.today()
        individuals.record_passage(session, place, individual, external_id="P1", day=today,
                                   price=345)
    page = client.get(f"{PORTAL}/home").get_data(as_text=True)
    assert "€21.55" in page
    assert "balance as of" in page
    assert today.isoformat() in page and "€3.45" in page


def test_wrong_password_is_refused_and_pages_need_sign_in(client, make_individual):
    make_individual(login="lea.martin", password="kamo-12-tibu")
    response = post_form(client, f"{PORTAL}/", {"login": "lea.martin", "password": "nope"})
    assert response.status_code == 401
    assert "Wrong login or password" in response.get_data(as_text=True)
    assert client.get(f"{PORTAL}/home").status_code == 302


def test_a_family_of_one_school_is_not_signed_in_at_another(client, make_individual,
                                                            make_establishment):
    make_establishment("ecole-voisine", plugins=["reservation"], locale="en")
    signed_family(client, make_individual)
    assert client.get("/ecole-voisine/reservation/portal/home").status_code == 302


def test_top_up_limits_and_the_way_to_the_payment_page(client, make_individual):
    signed_family(client, make_individual, contact_email="parent@example.org")
    low = post_form(client, f"{PORTAL}/home", {"amount": "2"}, action=f"{PORTAL}/top-up")
    assert low.status_code == 422 and "minimum top-up is €5.00" in low.get_data(as_text=True)
    high = post_form(client, f"{PORTAL}/home", {"amount": "301"}, action=f"{PORTAL}/top-up")
    assert high.status_code == 422 and "maximum top-up is €300.00" in high.get_data(as_text=True)
    garbage = post_form(client, f"{PORTAL}/home", {"amount": "vingt"}, action=f"{PORTAL}/top-up")
    assert garbage.status_code == 422
    good = post_form(client, f"{PORTAL}/home", {"amount": "20"}, action=f"{PORTAL}/top-up")
    assert good.status_code == 302 and "/college-jean-moulin/pay/" in good.headers["Location"]
    pay_page = client.get(good.headers["Location"]).get_data(as_text=True)
    assert "€20.00" in pay_page


def test_the_account_tab_changes_login_password_and_email(client, make_individual,
                                                          transaction):
    individual_id = signed_family(client, make_individual)
    weak = post_form(client, f"{PORTAL}/account", {
        "action": "password", "current": "kamo-12-tibu", "new": "abc", "confirm": "abc"})
    assert weak.status_code == 422 and "at least 8" in weak.get_data(as_text=True)
    done = post_form(client, f"{PORTAL}/account", {
        "action": "password", "current": "kamo-12-tibu", "new": "cantine2026z",
        "confirm": "cantine2026z"})
    assert done.status_code == 302
    assert client.get(f"{PORTAL}/home").status_code == 200  # this device stays signed in
    post_form(client, f"{PORTAL}/account", {"action": "login", "login": "lea-home"})
    bad_mail = post_form(client, f"{PORTAL}/account",
                         {"action": "email", "email": "not-an-address"})
    assert bad_mail.status_code == 422
    post_form(client, f"{PORTAL}/account", {"action": "email", "email": "parent@example.org"})
    with transaction() as (session, place):
        individual = individuals.get(session, place, individual_id)
        assert individual.login == "lea-home"
        assert individual.contact_email == "parent@example.org"
        assert individual.initial_password is None


def test_the_reservation_tab_books_and_cancels_and_refuses_holidays(client, make_individual,
                                                                    transaction):
    signed_family(client, make_individual)
    today = dt.date.today()
    holiday = today + dt.timedelta(days=5)
    with transaction() as (session, place):
        for weekday in range(7):
            session.add(PlanningDay(establishment_id=place.id, weekday=weekday, served=True,
                                    opens_days_before=7, closes_days_before=1,
                                    closes_at=dt.time(0, 0)))
        session.add(Holiday(establishment_id=place.id, label="Pont", first_day=holiday,
                            last_day=holiday))
    day = today + dt.timedelta(days=3)
    booked = post_form(client, f"{PORTAL}/reservation", {"day": day.isoformat()})
    assert booked.status_code == 302
    page = client.get(f"{PORTAL}/reservation").get_data(as_text=True)
    assert day.isoformat() in page and "Cancel" in page
    refused = post_form(client, f"{PORTAL}/reservation", {"day": holiday.isoformat()})
    assert refused.status_code == 422 and "holidays" in refused.get_data(as_text=True)
    late = post_form(client, f"{PORTAL}/reservation", {"day": today.isoformat()})
    assert late.status_code == 422 and "Too late" in late.get_data(as_text=True)
    post_form(client, f"{PORTAL}/reservation", {"action": "cancel", "day": day.isoformat()})
    assert "No meal reserved" in client.get(f"{PORTAL}/reservation").get_data(as_text=True)


def test_the_school_logo_is_on_the_portal(client, transaction):
    with transaction() as (_session, place):
        place.logo, place.logo_type = b"\x89PNG\r\n\x1a\nlogo", "image/png"
    page = client.get(f"{PORTAL}/").get_data(as_text=True)
    assert f'src="{PORTAL}/logo"' in page
    logo = client.get(f"{PORTAL}/logo")
    assert logo.status_code == 200 and logo.mimetype == "image/png"


def test_no_reservation_tab_where_the_school_does_not_use_it(client, make_individual,
                                                             enable_plugin, school):
    enable_plugin(school, "reservation", reservation_enabled=False)
    signed_family(client, make_individual)
    assert "Reservation" not in client.get(f"{PORTAL}/home").get_data(as_text=True)
    assert client.get(f"{PORTAL}/reservation").status_code == 404


def test_families_reach_the_portal_at_the_school_address_and_staff_still_sign_in(
        client, make_user, school):
    landing = client.get("/college-jean-moulin/")
    assert landing.status_code == 302 and landing.location.endswith(f"{PORTAL}/")
    page = client.get(landing.location).get_data(as_text=True)
    assert "Canteen account" in page
    before_label = page.split("School staff: sign in here")[0]
    assert html.unescape(before_label).endswith('href="/login?next=/college-jean-moulin/">')
    staff = make_user(roles={school: ["reservation.staff"]})
    client.sign_in(staff.username, PASSWORD)
    home = client.get("/college-jean-moulin/")
    assert home.status_code == 200 and "School canteen" in home.get_data(as_text=True)
