"""Revoked badges: a card declared lost, stolen or defective, or replaced by another one, says
so when scanned, to the placier and to the trader's self-service, with HTTP 410; nothing is
saved through it, and the scan is kept in the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from regie.db.models import AuditEvent
from regie_markets import traders
from regie_markets.models import RevokedBadge, Ticket, Trader
from tests.plugins.markets.field_pages import choose, post


def revoke(transaction, trader_id, reason="lost") -> str:
    """Revoke the trader's badge as the office does; returns the token it had."""
    with transaction() as (session, place):
        trader = session.get(Trader, trader_id)
        token = trader.badge_token
        traders.revoke_badge(session, place, trader, reason=reason, actor="agent")
        return token


def refusals(transaction) -> list[AuditEvent]:
    with transaction() as (session, _place):
        rows = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "markets.badge_refused").order_by(AuditEvent.id)).all()
        session.expunge_all()
        return list(rows)


@pytest.fixture
def field(signed_in, placier):
    return signed_in(placier)


def test_placier_scanning_a_lost_badge_is_told_and_no_ticket_is_made(
        field, make_market, make_trader, transaction, load):
    market = make_market()
    trader = make_trader("DURAND", "Léa", badge="04B001")
    choose(field, market, "ticket")
    old = revoke(transaction, trader)

    page = field.get(f"/lunel/markets/b/{old}")
    assert page.status_code == 410
    html = page.get_data(as_text=True)
    assert "Revoked badge" in html and "declared lost" in html
    assert f"n° {load(Trader, trader).number}, DURAND Léa" in html
    assert "No new badge is associated yet" in html and "Without badge" in html

    # a ticket form opened before the revocation is posted after it
    saved = post(field, f"/lunel/markets/field/ticket/{old}", {"metres": "6"})
    assert saved.status_code == 410 and "Revoked badge" in saved.get_data(as_text=True)
    with transaction() as (session, _place):
        assert session.scalars(select(Ticket)).all() == []

    logged = refusals(transaction)
    assert [(e.actor, e.target, e.details["scanned"], e.details["method"]) for e in logged] == [
        ("placier1", f"trader:{load(Trader, trader).number}", "url", "GET"),
        ("placier1", f"trader:{load(Trader, trader).number}", "url", "POST")]


def test_after_a_new_badge_the_placier_is_sent_to_it(field, make_trader, transaction):
    trader = make_trader("ROUX", "Inès", badge="04B002")
    old = revoke(transaction, trader, reason="stolen")
    with transaction() as (session, place):
        traders.associate_badge(session, place, session.get(Trader, trader), "04B003")

    html = field.get(f"/lunel/markets/b/{old}").get_data(as_text=True)
    assert "declared stolen" in html and "check their identity" in html
    assert "The trader has a newer badge (04B003)" in html
    new = field.get("/lunel/markets/field/scan?serial=04B003")
    assert new.status_code == 302 and "/b/" in new.headers["Location"]
    assert old not in new.headers["Location"]


def test_the_chip_of_a_replaced_card_says_it_was_replaced(field, make_trader, transaction):
    trader = make_trader("PETIT", "Jean", badge="04B010")
    with transaction() as (session, place):
        traders.associate_badge(session, place, session.get(Trader, trader), "04B011",
                                actor="agent")

    scan = field.get("/lunel/markets/field/scan?serial=04B010")
    assert scan.status_code == 410
    html = scan.get_data(as_text=True)
    assert "replaced by a new badge" in html and "newer badge (04B011)" in html
    assert refusals(transaction)[0].details["scanned"] == "serial"

    unknown = field.get("/lunel/markets/field/scan?serial=NOPE")
    assert unknown.status_code == 404
    assert "No trader has the badge NOPE" in unknown.get_data(as_text=True)
    random = field.get("/lunel/markets/b/not-a-token-anyone-had")
    assert random.status_code == 404 and "This badge is unknown" in random.get_data(
        as_text=True)


def test_self_service_with_a_revoked_badge_says_so_without_counting_a_try(
        client, make_trader, transaction, load):
    trader = make_trader("ROBERT", "Zoé", badge="04B020")
    with transaction() as (session, _place):
        code = traders.generate_access_code(session.get(Trader, trader))
    old = revoke(transaction, trader, reason="defective")

    page = client.get(f"/lunel/markets/b/{old}")
    assert page.status_code == 410
    html = page.get_data(as_text=True)
    assert "This badge no longer works" in html and "defective" in html
    assert "Ask the market office or a placier for a new badge." in html
    assert "ROBERT" not in html and "Without badge" not in html

    tried = client.post(f"/lunel/markets/b/{old}",
                        data={"csrf_token": client.csrf_token(), "code": code})
    assert tried.status_code == 410 and "ROBERT" not in tried.get_data(as_text=True)
    assert load(Trader, trader).access_code_failures == 0
    pay = client.get(f"/lunel/markets/pay/{old}")
    assert pay.status_code == 410 and "This badge no longer works" in pay.get_data(
        as_text=True)
    paid = client.post(f"/lunel/markets/pay/{old}",
                       data={"csrf_token": client.csrf_token(), "code": code})
    assert paid.status_code == 410 and "This badge no longer works" in paid.get_data(
        as_text=True)
    assert load(Trader, trader).access_code_failures == 0
    assert [e.actor for e in refusals(transaction)] == ["anonymous"] * 4

    with transaction() as (session, place):
        traders.associate_badge(session, place, session.get(Trader, trader), "04B021")
    assert "Use the QR code of your new badge." in client.get(
        f"/lunel/markets/b/{old}").get_data(as_text=True)


def test_office_revokes_with_a_reason_kept_on_the_record(signed_in, make_user, town,
                                                          make_trader, transaction, load):
    office = signed_in(make_user("agent", roles={town: ["markets.regie"]}))
    trader = make_trader("GARCIA", "Ana", badge="04B030")
    old = load(Trader, trader).badge_token
    record = f"/lunel/markets/traders/{trader}"

    done = office.submit(record, {"reason": "stolen"},
                         action=f"/lunel/markets/traders/{trader}/badge/revoke")
    assert done.status_code == 302
    row = load(Trader, trader)
    assert row.badge_token != old and not row.badge_associated and row.badge_serial is None
    with transaction() as (session, _place):
        kept = session.scalars(select(RevokedBadge)).one()
        assert (kept.token, kept.serial, kept.reason, kept.revoked_by) == (
            old, "04B030", "stolen", "agent")
        assert session.scalars(select(AuditEvent.action).where(
            AuditEvent.action == "markets.badge_revoked")).all() == ["markets.badge_revoked"]
    html = office.get(record).get_data(as_text=True)
    assert "Revoked badges" in html and "04B030" in html

    refused = office.post(f"/lunel/markets/traders/{trader}/badge/revoke",
                          data={"csrf_token": office.csrf_token(record), "reason": "bored"})
    assert refused.status_code == 302
    with transaction() as (session, _place):
        assert len(session.scalars(select(RevokedBadge)).all()) == 1


def test_a_blocked_badge_still_scans_for_the_placier_with_the_surcharge(
        field, make_market, make_trader, load):
    """Blocking ("Blocage demandé") is not revocation: the seed blocks the badge to refuse
    placements and surcharge tickets, so the placier must still see the trader."""
    market = make_market()
    trader = make_trader("BLANC", "Marc", badge="04B040", blocked=True,
                         blocked_reason="Arrêté 12")
    choose(field, market, "ticket")
    page = field.get(f"/lunel/markets/b/{load(Trader, trader).badge_token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "BLANC" in html and "status-red" in html
