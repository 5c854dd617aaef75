"""The placier's phone pages through HTTP: market and mode, badge scans in each mode, tickets
with shortcuts, the list, refusals with clear messages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from regie_markets.models import Enrolment, Ticket, TicketChange, Trader
from tests.plugins.markets.field_pages import HOME, choose, post


@pytest.fixture
def field(signed_in, placier):
    return signed_in(placier)


def test_ticket_mode_scan_then_shortcut_saves_the_ticket(field, make_market, make_trader, load,
                                                        transaction, placier):
    market = make_market()
    trader = make_trader("DURAND", "Léa", badge="04A001")
    choose(field, market, "ticket")
    badge_url = f"/lunel/markets/b/{load(Trader, trader).badge_token}"

    form = field.get(badge_url)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert "DURAND" in html and "6 m" in html and "Demonstrator tariff" in html

    saved = post(field, f"/lunel/markets/field/ticket/{load(Trader, trader).badge_token}",
                 {"metres": "4"}, page=badge_url)
    assert saved.status_code == 302
    shown = field.get(saved.headers["Location"]).get_data(as_text=True)
    assert "4 m" in shown and "€6.00" in shown  # 4 m × €1.50

    again = field.get(badge_url)  # a second scan opens the existing ticket
    assert again.status_code == 302 and "/field/tickets/" in again.headers["Location"]
    with transaction() as (session, _place):
        ticket = session.scalars(select(Ticket)).one()
        assert (ticket.metres, ticket.placier_id, ticket.badge_surcharge) == (4, placier.id,
                                                                                False)
        assert session.scalars(select(TicketChange.action)).all() == ["create"]


def test_scan_in_ticket_mode_without_market_is_refused(field, make_market, make_trader, load,
                                                       transaction):
    from regie_markets.models import Market

    page = field.get(HOME).get_data(as_text=True)
    assert 'value="ticket" class="button mode-button" disabled' in page
    refused = post(field, "/lunel/markets/field/mode", {"mode": "ticket"})
    assert refused.status_code == 400
    assert "Choose the market first" in refused.get_data(as_text=True)

    market = make_market()
    trader = make_trader(badge="04A002")
    choose(field, market, "ticket")
    with transaction() as (session, _place):
        session.get(Market, market).active = False  # the market closed meanwhile
    scan = field.get(f"/lunel/markets/b/{load(Trader, trader).badge_token}")
    assert scan.status_code == 409 and "Scan refused" in scan.get_data(as_text=True)
    with transaction() as (session, _place):
        assert session.scalars(select(Ticket)).all() == []


def test_unknown_or_revoked_badge_says_so(field, make_trader, load, transaction):
    trader = make_trader(badge="04A003")
    old_token = load(Trader, trader).badge_token
    with transaction() as (session, place):
        from regie_markets import traders

        traders.revoke_badge(session, place, session.get(Trader, trader))
    page = field.get(f"/lunel/markets/b/{old_token}")
    assert page.status_code == 410
    assert "Revoked badge" in page.get_data(as_text=True)
    unknown = field.get("/lunel/markets/b/never-issued")
    assert unknown.status_code == 404 and "This badge is unknown" in unknown.get_data(
        as_text=True)
    scan = field.get("/lunel/markets/field/scan?serial=NOPE")
    assert scan.status_code == 404 and "No trader has the badge NOPE" in scan.get_data(
        as_text=True)


def test_info_mode_shows_the_summary_and_generates_an_access_code(field, make_trader, load):
    trader = make_trader("ROUX", "Inès", badge="04A004")
    token = load(Trader, trader).badge_token
    page = field.get(f"/lunel/markets/b/{token}").get_data(as_text=True)
    assert "ROUX" in page and "status-green" in page and "No code generated yet." in page
    generated = post(field, f"/lunel/markets/field/access-code/{token}",
                     page=f"/lunel/markets/b/{token}")
    html = generated.get_data(as_text=True)
    assert "New access code" in html and "3 tries left." in html


def test_placement_refused_for_exceeded_then_enrolled_and_listed(field, make_market, make_trader,
                                                                 load, transaction):
    market = make_market()
    blocked = make_trader("BLOQUE", "Jean", markets=[market], blocked=True,
                          blocked_reason="Impayés")
    good = make_trader("BON", "Paul", markets=[market])
    choose(field, market, "placement")
    page = field.get(f"/lunel/markets/b/{load(Trader, blocked).badge_token}")
    assert "cannot be enrolled" in page.get_data(as_text=True)
    assert "Enrol for placement" not in page.get_data(as_text=True)
    forced = post(field, f"/lunel/markets/field/placement/{load(Trader, blocked).badge_token}")
    assert forced.status_code == 422
    token = load(Trader, good).badge_token
    enrolled = post(field, f"/lunel/markets/field/placement/{token}",
                    page=f"/lunel/markets/b/{token}")
    assert "provisional rank" in enrolled.get_data(as_text=True)
    listing = field.get("/lunel/markets/field/list").get_data(as_text=True)
    assert "BON Paul" in listing and "BLOQUE" not in listing
    with transaction() as (session, _place):
        enrolment = session.scalars(select(Enrolment)).one()
    post(field, f"/lunel/markets/field/list/{enrolment.id}", page="/lunel/markets/field/list")
    assert 'class="placed"' in field.get("/lunel/markets/field/list").get_data(as_text=True)


def test_without_badge_ticket_is_surcharged(field, make_market, make_trader, transaction):
    market = make_market()
    trader = make_trader("SANSBADGE", "Eva", badge="04A005")
    choose(field, market, "ticket")
    found = field.get("/lunel/markets/field/no-badge?q=sansb").get_data(as_text=True)
    assert "SANSBADGE Eva" in found
    url = f"/lunel/markets/field/no-badge/{trader}"
    assert post(field, url, {"metres": "6"}, page=url).status_code == 302
    with transaction() as (session, _place):
        ticket = session.scalars(select(Ticket)).one()
        assert ticket.badge_surcharge and ticket.source == "no_badge"
        assert ticket.amount == 6 * 150 + 6 * 100


def test_home_shows_the_market_stats_of_this_placier(field, make_market, make_trader, load):
    market = make_market()
    trader = make_trader(badge="04A006")
    choose(field, market, "ticket")
    token = load(Trader, trader).badge_token
    post(field, f"/lunel/markets/field/ticket/{token}", {"metres": "8"},
         page=f"/lunel/markets/b/{token}")
    home = field.get(HOME).get_data(as_text=True)
    assert "Current market stats" in home or "today" in home
    assert "<strong>1</strong>" in home and "<strong>8</strong>" in home
