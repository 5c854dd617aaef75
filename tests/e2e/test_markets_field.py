"""Placier journeys on a 360 × 519 phone screen, and the trader's self-service page.

Selectors are CSS classes and form values, so the journeys hold in every language; the
establishment speaks French, the interface language of the markets. Screenshots of the three
modes land in ``test-artifacts/``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from regie.db.models import Establishment
from regie_markets import traders
from regie_markets.models import Authorisation, Market, Trader

pytestmark = pytest.mark.browser

SLUG = "lunel"
PHONE = {"width": 360, "height": 519}
SIRET = "73282932000074"


@pytest.fixture
def town(make_establishment, make_user, regie_runtime):
    place = make_establishment(SLUG, name="Mairie de Lunel", plugins=["markets"])
    make_user("placier", roles={place: ["markets.placier"]})
    with regie_runtime.db.transaction() as session:
        town = session.get(Establishment, place.id)
        market = Market(establishment_id=town.id, name="Marché de Lunel", place="Halles",
                        weekdays="1234567", tariff_standard=150, tariff_demonstrator=300,
                        tariff_surcharge=100)
        session.add(market)
        session.flush()
        people = {}
        for name, first, blocked in (("DURAND", "Léa", False), ("BLOQUÉ", "Jean", True),
                                     ("PETIT", "Hugo", False), ("ROUX", "Inès", False)):
            trader = traders.create_trader(session, town, {
                "last_name": name, "first_name": first, "address": "1 rue Haute",
                "siret": SIRET, "kbis_checked_on": dt.date.today().isoformat(),
                "insurance_until": (dt.date.today() + dt.timedelta(days=300)).isoformat()})
            trader.blocked, trader.blocked_reason = blocked, "Arrêté 12" if blocked else ""
            traders.associate_badge(session, town, trader, f"04A{trader.number:04d}")
            session.add(Authorisation(establishment_id=town.id, trader_id=trader.id,
                                      market_id=market.id, weekday=0))
            people[name] = trader.badge_token
        return {"market": market.id, "tokens": people}


def _field(new_page, sign_in):
    page = new_page(viewport=PHONE)
    sign_in(page, "placier")
    page.goto(f"/{SLUG}/markets/field/")
    return page


def _choose(page, mode):
    page.select_option("#f-market", label="Marché de Lunel")
    page.wait_for_load_state()
    page.locator(f"button.mode-button[value={mode}]").click()
    page.wait_for_load_state()
    assert "mode-active" in page.locator(f"button.mode-button[value={mode}]").get_attribute(
        "class")


def test_ticket_mode_badge_scan_then_6_m(new_page, sign_in, town, artifacts):
    page = _field(new_page, sign_in)
    _choose(page, "ticket")
    page.screenshot(path=artifacts / "markets-field-home-ticket.png")
    page.goto(f"/{SLUG}/markets/b/{town['tokens']['DURAND']}")
    assert "DURAND" in page.locator(".trader-frame > summary").inner_text()
    page.screenshot(path=artifacts / "markets-field-ticket-form.png")
    page.locator("button.shortcut[value='6']").click()
    page.wait_for_load_state()
    assert page.locator("[data-ticket-metres]").inner_text() == "6 m"
    assert "9,00" in page.locator("[data-ticket-amount]").inner_text()
    page.screenshot(path=artifacts / "markets-field-ticket-saved.png")

    page.goto(f"/{SLUG}/markets/field/")
    stats = page.locator(".stats-widget .field-stats").inner_text()
    assert "1" in stats and "6" in stats and "9,00" in stats


def test_info_mode_summary(new_page, sign_in, town, artifacts):
    page = _field(new_page, sign_in)
    page.goto(f"/{SLUG}/markets/b/{town['tokens']['BLOQUÉ']}")
    assert "status-red" in page.locator("h1.trader-title").get_attribute("class")
    page.screenshot(path=artifacts / "markets-field-info.png", full_page=True)


def test_placement_refused_for_exceeded_trader_and_list_survives_reload(
        new_page, sign_in, town, artifacts):
    page = _field(new_page, sign_in)
    _choose(page, "placement")
    page.goto(f"/{SLUG}/markets/b/{town['tokens']['BLOQUÉ']}")
    assert page.locator(".field-refusal").is_visible()
    assert page.locator("form[action*='/field/placement/'] button").count() == 0
    page.screenshot(path=artifacts / "markets-field-placement-refused.png")

    for name in ("PETIT", "ROUX"):
        page.goto(f"/{SLUG}/markets/b/{town['tokens'][name]}")
        page.locator("form[action*='/field/placement/'] button.button-primary").click()
        page.wait_for_load_state()
        assert page.locator(".field-result .big").inner_text() in ("1", "2")
    page.screenshot(path=artifacts / "markets-field-placement-enrolled.png")

    page.goto(f"/{SLUG}/markets/field/list")
    rows = page.locator(".placement-list tbody tr")
    assert rows.count() == 2
    rows.nth(0).locator("button.rank-button").click()
    page.wait_for_load_state()
    page.reload()
    rows = page.locator(".placement-list tbody tr")
    assert "placed" in (rows.nth(0).get_attribute("class") or "")
    assert "placed" not in (rows.nth(1).get_attribute("class") or "")
    page.screenshot(path=artifacts / "markets-field-placement-list.png")
    rows.nth(0).locator("button.rank-button").click()
    page.wait_for_load_state()
    page.reload()
    assert "placed" not in (page.locator(".placement-list tbody tr").nth(0)
                            .get_attribute("class") or "")


def test_self_service_locks_after_three_wrong_codes(new_page, town, regie_runtime, artifacts):
    with regie_runtime.db.transaction() as session:
        trader = session.query(Trader).filter_by(badge_token=town["tokens"]["ROUX"]).one()
        code = traders.generate_access_code(trader)
    wrong = "0000" if code != "0000" else "1111"
    page = new_page(viewport=PHONE)
    page.goto(f"/{SLUG}/markets/b/{town['tokens']['ROUX']}")
    for _try in range(3):
        page.locator("#f-code").fill(wrong)
        page.locator("form button[type=submit]").click()
        page.wait_for_load_state()
    assert page.locator("#f-code").count() == 0
    assert page.locator(".flash-error").is_visible()
    page.screenshot(path=artifacts / "markets-selfservice-locked.png")
    page.goto(f"/{SLUG}/markets/b/{town['tokens']['ROUX']}")
    assert page.locator("#f-code").count() == 0
