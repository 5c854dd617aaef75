"""A member orders and promises a cheque; the coordinator validates the distribution,
resolving the on-the-spot payment as a cheque, and the counter shows the expected drawer."""

from __future__ import annotations

import datetime as dt

import pytest

from regie.db.models import Establishment
from regie.testing.clock import midday_timezone
from regie_coop import accounts
from regie_coop.models import Distribution, Product

pytestmark = pytest.mark.browser

SLUG = "amap-du-marais"


@pytest.fixture
def group(make_establishment, regie_runtime, make_user):
    place = make_establishment(SLUG, name="AMAP du Marais", locale="en",
                               timezone=midday_timezone(), plugins={
        "coop": {"method_cash": True, "method_cheque": True}})
    alice = make_user("alice", roles={place: ["coop.member"]})
    make_user("coordinator", roles={place: ["coop.coordinator"]})
    now = dt.datetime.now(dt.UTC)
    with regie_runtime.db.transaction() as session:
        group = session.get(Establishment, place.id)
        accounts.add_member(session, group, name="Alice Martin", user_id=alice.id)
        bob = accounts.add_member(session, group, name="Bob Petit")
        eggs = Product(establishment_id=group.id, name="Eggs (6)", unit="box", unit_price=250)
        distribution = Distribution(
            establishment_id=group.id, date=accounts.local_now(group).date(),
            place="Halle Saint-Jean", orders_open_at=now - dt.timedelta(days=7),
            orders_close_at=now + dt.timedelta(hours=2), opening_float=0)
        session.add_all([eggs, distribution])
        session.flush()
        _order, cash = accounts.place_order(session, regie_runtime, group, bob, distribution,
                                            {eggs.id: 3000}, method="cash",
                                            settings={"method_cash": True})
        accounts.resolve(cash, "cash", {})
        return distribution.id


def test_a_coordinator_validates_resolving_an_on_the_spot_cheque(new_page, sign_in, group,
                                                                 artifacts):
    member = new_page()
    sign_in(member, "alice")
    member.goto(f"/{SLUG}/coop/distributions/{group}/order")
    member.get_by_label("Eggs (6)").fill("2")
    member.get_by_label("Cheque").check()
    member.get_by_role("button", name="Save my order").click()
    assert "Your order is saved." in member.locator(".flashes").inner_text()

    page = new_page(viewport={"width": 390, "height": 844})
    sign_in(page, "coordinator")
    page.goto(f"/{SLUG}/coop/distributions/{group}")
    page.get_by_role("button", name="Validate the distribution").click()
    assert "Alice Martin" in page.locator(".flash-error").inner_text()

    page.locator("tr", has_text="Alice Martin").get_by_role("link", name="Check").click()
    resolve = page.locator("form:has(input[name=action][value=resolve])")
    resolve.get_by_label("Payment type").select_option("cheque")
    resolve.get_by_label("Cheque number").fill("0012345")
    resolve.get_by_label("Bank").fill("La Banque Postale")
    resolve.get_by_role("button", name="Save the payment type").click()
    assert "Payment type saved." in page.locator(".flashes").inner_text()

    page.goto(f"/{SLUG}/coop/distributions/{group}/counter")
    page.get_by_label("Opening float").fill("50")
    page.get_by_role("button", name="Save").click()
    page.goto(f"/{SLUG}/coop/distributions/{group}")
    page.get_by_role("button", name="Validate the distribution").click()
    assert "2 payment(s) recorded" in page.locator(".flash-success").inner_text()

    page.get_by_role("link", name="Counter").first.click()
    assert page.locator("#expected-drawer").inner_text() == "€57.50"
    assert "1 · €5.00" in page.locator(".stats").inner_text()
    page.screenshot(path=artifacts / "coop-counter.png", full_page=True)
