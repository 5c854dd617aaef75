"""A member orders and pays online through the Paybox simulator; the co-op balance moves
with Paybox's notification, never with the browser return."""

from __future__ import annotations

import datetime as dt

import pytest

from regie.api import find_payments
from regie.db.models import Establishment
from regie_coop import accounts
from regie_coop.models import Distribution, Product
from regie_paybox.operations import simulate_ipn
from tests.e2e.test_paybox_payment import (  # noqa: F401  (fixtures: the server and simulator)
    _regie_server,
    live_server,
    regie_config,
    simulator,
)

pytestmark = pytest.mark.browser

SLUG = "ecole-jaures"  # the slug the Paybox journey's server fixtures serve


def _balance(page) -> str:
    page.goto(f"/{SLUG}/coop/account")
    return page.locator(".stat-value").first.inner_text()


def test_a_member_orders_and_pays_online_through_the_simulator(
        new_page, sign_in, make_establishment, make_user, regie_runtime, simulator,  # noqa: F811
        artifacts):
    place = make_establishment(SLUG, name="AMAP Jean Jaurès", plugins={
        "payments_paybox": {"hosts": simulator},
        "coop": {"method_online": True}})
    alice = make_user("alice", roles={place: ["coop.member"]})
    now = dt.datetime.now(dt.UTC)
    with regie_runtime.db.transaction() as session:
        group = session.get(Establishment, place.id)
        accounts.add_member(session, group, name="Alice Martin", email="alice@example.org",
                            user_id=alice.id)
        bread = Product(establishment_id=group.id, name="Country bread", unit_price=420)
        distribution = Distribution(
            establishment_id=group.id, date=accounts.local_now(group).date()
            + dt.timedelta(days=2), place="Préau", orders_open_at=now - dt.timedelta(days=1),
            orders_close_at=now + dt.timedelta(days=1), opening_float=0)
        session.add_all([bread, distribution])
        session.flush()
        distribution_id = distribution.id

    page = new_page()
    sign_in(page, "alice")
    page.goto(f"/{SLUG}/coop/distributions/{distribution_id}/order")
    page.get_by_label("Country bread").fill("2")
    page.get_by_role("button", name="Enregistrer ma commande").click()
    page.wait_for_url(f"**/{SLUG}/pay/**")
    assert "8,40" in page.locator(".stat-value").inner_text()
    page.locator("button[name=method][value=paybox]").click()
    page.wait_for_url(f"{simulator}/cgi/**")
    page.locator("input[name=lose_ipn]").check()
    page.locator("#pay").click()
    page.wait_for_url(f"**/{SLUG}/pay/return/**")
    assert page.locator("section[data-state]").get_attribute("data-state") == "pending"
    assert _balance(page).startswith("-8,40"), "the browser return credits nothing"

    with regie_runtime.db.session() as session:
        [payment] = find_payments(session, place.id, method="paybox")
    assert simulate_ipn(regie_runtime, SLUG, payment.reference) == [200]
    assert _balance(page).startswith("0,00")
    page.screenshot(path=artifacts / "coop-paid-online.png", full_page=True)
