"""Exports: traders by arrears, ticket statistics, placement priority PDF, placements list."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from regie_markets.models import Authorisation, Market, Ticket, Trader
from regie_markets.office_models import Invoice

BASE = "/lunel/markets/office"


@pytest.fixture(autouse=True)
def english(client):
    with client.session_transaction() as session:
        session["lang"] = "en"


@pytest.fixture
def cadre(signed_in, town):
    return signed_in(roles={town: ["markets.admin"]})


def rows_of(answer) -> list[list[str]]:
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig")), delimiter=";"))


def test_traders_by_arrears_aggregate_their_unpaid_invoices(cadre, small_month, run_invoicing,
                                                             transaction):
    run_invoicing()
    with transaction() as (session, _place):
        session.get(Trader, small_month["dupont"]).legal_name = "=DUPONT"
        session.scalars(select(Invoice).where(Invoice.trader_number == 7)).one().legal_name = \
            "=DUPONT"
    rows = rows_of(cadre.get(f"{BASE}/exports/traders-by-arrears.csv"))
    assert rows[0][:4] == ["Trader number", "Legal name", "Unpaid", "Invoices"]
    assert [row[:4] for row in rows[1:]] == [
        ["7", "'=DUPONT", "22.00", "1"], ["3", "MARTIN", "18.00", "1"],
        ["5", "BERNARD", "3.00", "1"]]
    assert rows[1][5] == "2026-10-0001 €22.00 to pay"


def test_ticket_statistics_count_issued_and_collected(cadre, small_month, run_invoicing,
                                                      transaction):
    run_invoicing()
    page = f"{BASE}/invoices/"
    with transaction() as (session, _place):
        martin = session.scalars(select(Invoice).where(Invoice.trader_number == 3)).one()
    cadre.post(f"{page}{martin.id}/point", data={
        "receipt_date": "2026-11-06", "receipt_number": "Q1",
        "csrf_token": cadre.csrf_token(f"{page}{martin.id}")})
    rows = rows_of(cadre.get(f"{BASE}/exports?start=2026-10-01&end=2026-10-31"
                             "&market=bas&format=csv"))
    assert rows[0] == ["Month", "Market", "Weekday", "Placier", "Tickets", "Amount issued",
                       "Amount collected"]
    by_day = {row[2]: row for row in rows[1:]}
    # Marché Bas in October: 3rd (Saturday) Dupont 4.00 + Martin 6.00, 10th (Saturday)
    # Martin 12.00, 31st (Saturday) Bernard 3.00; Martin's invoice is paid.
    assert by_day["Saturday"][4:] == ["4", "25.00", "18.00"]
    wednesday = rows_of(cadre.get(f"{BASE}/exports?start=2026-10-01&weekday=3&format=csv"))
    assert wednesday[1:] == []
    html = cadre.get(f"{BASE}/exports?start=2026-13-01").get_data(as_text=True)
    assert "give a date" in html


def test_placement_priority_ranks_assiduous_traders_by_start_date(
        cadre, transaction, town, regie_runtime):
    today = dt.date.today()
    with transaction() as (session, place):
        market = Market(establishment_id=place.id, name="Marché du Samedi", weekdays="6",
                        tariff_standard=100)
        session.add(market)
        session.flush()
        saturdays = [today - dt.timedelta(days=(today.isoweekday() - 6) % 7 + 7 * week)
                     for week in range(1, 45)]
        names = {}
        for number, name, count, start in ((1, "ANCIEN", 40, dt.date(2015, 3, 7)),
                                           (2, "RECENT", 40, dt.date(2020, 5, 2)),
                                           (3, "PASSAGE", 5, None), (4, "HABITUE", 30, None)):
            trader = Trader(establishment_id=place.id, number=number, last_name=name,
                            first_name="A", legal_name=name, address="x",
                            siret="73282932000074", badge_token=f"prio-{number}")
            session.add(trader)
            session.flush()
            names[name] = trader.id
            if start:
                session.add(Authorisation(establishment_id=place.id, trader_id=trader.id,
                                          market_id=market.id, weekday=6, start_date=start))
            for day in saturdays[:count]:
                session.add(Ticket(establishment_id=place.id, trader_id=trader.id,
                                   market_id=market.id, day=day, metres=4, amount=400))
    answer = cadre.get(f"{BASE}/exports/placement-priority.pdf")
    assert answer.status_code == 200
    text = PdfReader(io.BytesIO(answer.data)).pages[0].extract_text()
    assert "Marché du Samedi" in text and "Saturday" in text
    order = [text.index(name) for name in ("ANCIEN", "RECENT", "HABITUE", "PASSAGE")]
    assert order == sorted(order)


def test_placements_list_answers(cadre, small_month):
    assert cadre.get(f"{BASE}/placements").status_code == 200
