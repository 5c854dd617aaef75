"""On a phone (360 × 640), a parent signs in to the canteen portal with the pupil's login,
tops up 20 € through the Paybox simulator, sees the new balance once Paybox's notification
arrives (not before), reserves a meal and changes the password."""

from __future__ import annotations

import datetime as dt

import pytest

from regie.api import find_payments
from regie.db.models import Establishment
from regie_paybox.operations import simulate_ipn
from regie_reservation import individuals
from regie_reservation.individuals import IndividualData
from regie_reservation.models import PlanningDay
from tests.e2e.test_paybox_payment import (  # noqa: F401  (fixtures: the server and simulator)
    _regie_server,
    live_server,
    regie_config,
    simulator,
)

pytestmark = pytest.mark.browser

SLUG = "ecole-jaures"  # the slug the Paybox journey's server fixtures serve
PORTAL = f"/{SLUG}/reservation/portal"
PHONE = {"viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True}


def _school(make_establishment, regie_runtime, simulator):  # noqa: F811
    place = make_establishment(SLUG, name="Collège Jean Jaurès", plugins={
        "payments_paybox": {"hosts": simulator},
        "reservation": {"reservation_enabled": True}})
    with regie_runtime.db.transaction() as session:
        school = session.get(Establishment, place.id)
        for weekday in range(7):
            session.add(PlanningDay(establishment_id=school.id, weekday=weekday, served=True,
                                    opens_days_before=7, closes_days_before=1,
                                    closes_at=dt.time(23, 59)))
        individuals.upsert(session, school, IndividualData(
            external_id="4021", last_name="Martin", first_name="Zoé", class_name="6B",
            login="zoe.martin", password="bako-47-rimu", contact_email="parent@example.org",
            balance=500))
    return place


def _balance(page) -> str:
    page.goto(f"{PORTAL}/home")
    return page.locator("#balance .stat-value").inner_text()


def _sign_in(page, password: str) -> None:
    page.goto(f"{PORTAL}/")
    page.locator("#f-login").fill("zoe.martin")
    page.locator("#f-password").fill(password)
    page.locator("main form button[type=submit]").click()


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_parent_tops_up_reserves_and_changes_the_password_on_a_phone(
        new_page, make_establishment, regie_runtime, simulator, artifacts):  # noqa: F811
    place = _school(make_establishment, regie_runtime, simulator)
    page = new_page(**PHONE)
    _sign_in(page, "bako-47-rimu")
    page.wait_for_url(f"**{PORTAL}/home")
    assert _balance(page).startswith("5,00")
    assert _fits_the_screen(page)
    page.screenshot(path=artifacts / "canteen-portal-home.png", full_page=True)

    page.locator("#f-amount").fill("20")
    page.locator("form[action$='top-up'] button[type=submit]").click()
    page.wait_for_url(f"**/{SLUG}/pay/**")
    assert "20,00" in page.locator(".stat-value").inner_text()
    page.locator("button[name=method][value=paybox]").click()
    page.wait_for_url(f"{simulator}/cgi/**")
    page.locator("input[name=lose_ipn]").check()
    page.locator("#pay").click()
    page.wait_for_url(f"**/{SLUG}/pay/return/**")
    assert _balance(page).startswith("5,00"), "the browser return credits nothing"
    with regie_runtime.db.session() as session:
        [payment] = find_payments(session, place.id, method="paybox")
    assert simulate_ipn(regie_runtime, SLUG, payment.reference) == [200]
    assert _balance(page).startswith("25,00")
    assert payment.reference in page.locator("#payments").inner_text()

    page.goto(f"{PORTAL}/reservation")
    chosen = page.locator("#f-day option").first.get_attribute("value")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"**{PORTAL}/reservation")
    assert chosen in page.locator("#booked").inner_text()
    assert _fits_the_screen(page)
    page.screenshot(path=artifacts / "canteen-portal-reservation.png", full_page=True)

    page.goto(f"{PORTAL}/account")
    page.locator("#f-current").fill("bako-47-rimu")
    page.locator("#f-new").fill("short")
    page.locator("#f-confirm").fill("short")
    page.locator("input[value=password] ~ .form-actions button").click()
    assert page.locator("#f-new-error").is_visible()
    page.locator("#f-current").fill("bako-47-rimu")
    page.locator("#f-new").fill("cantine2026zoe")
    page.locator("#f-confirm").fill("cantine2026zoe")
    page.locator("input[value=password] ~ .form-actions button").click()
    page.wait_for_url(f"**{PORTAL}/account")
    assert page.locator(".flash-success").is_visible()

    page.locator("footer button[type=submit]").click()
    _sign_in(page, "bako-47-rimu")
    assert page.locator(".form-errors").is_visible(), "the old password no longer opens"
    _sign_in(page, "cantine2026zoe")
    page.wait_for_url(f"**{PORTAL}/home")
    assert _balance(page).startswith("25,00")
