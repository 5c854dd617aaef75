"""Invoices at the régie: searches, pointing through the core, waiver, undo, titre de recette,
duplicate, CSV export."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from regie.api import get_account
from regie_markets.models import ACCOUNT_KIND
from regie_markets.office_models import Invoice

BASE = "/lunel/markets/office"


@pytest.fixture(autouse=True)
def english(client):
    with client.session_transaction() as session:
        session["lang"] = "en"


@pytest.fixture
def invoiced(small_month, run_invoicing, session):
    run_invoicing()
    return {invoice.legal_name: invoice.id for invoice in session.scalars(select(Invoice))}


@pytest.fixture
def regie(signed_in, town):
    return signed_in(roles={town: ["markets.regie"]})


def fresh(session, invoice_id) -> Invoice:
    session.rollback()
    return session.get(Invoice, invoice_id)


def balance(session, town, number):
    session.rollback()
    return get_account(session, town, kind=ACCOUNT_KIND, owner_key=str(number)).balance


def test_badge_search_finds_the_traders_unpaid_invoices(regie, invoiced):
    page = regie.get(f"{BASE}/invoices/to-pay?badge=04A1B2C3D4").get_data(as_text=True)
    assert "2026-10-0001" in page and "DUPONT" in page
    assert "MARTIN" not in page and "BERNARD" not in page
    assert "22.00" in page, "the amount is easy to copy into the régie's software"

    by_prefix = regie.get(f"{BASE}/invoices/to-pay?number=2026-10").get_data(as_text=True)
    assert all(name in by_prefix for name in ("DUPONT", "MARTIN", "BERNARD"))
    assert "2026-10" not in regie.get(f"{BASE}/invoices/to-pay?number=2026-09").get_data(
        as_text=True).split("<table")[-1]
    simple = regie.get(f"{BASE}/invoices/to-pay?q=18.00").get_data(as_text=True)
    assert "MARTIN" in simple and "DUPONT" not in simple


def test_pointing_creates_a_core_payment_and_is_refused_twice(regie, invoiced, session, town):
    url = f"{BASE}/invoices/{invoiced['MARTIN']}/point"
    answer = regie.post(url, data={"receipt_date": "2026-11-06", "receipt_number": "Q-118",
                                   "csrf_token": regie.csrf_token(f"{BASE}/invoices/"
                                                                  f"{invoiced['MARTIN']}")})
    assert answer.status_code == 302
    invoice = fresh(session, invoiced["MARTIN"])
    assert invoice.receipt_number == "Q-118" and invoice.payment_id is not None
    assert balance(session, town, 3) == 0

    again = regie.post(url, data={"receipt_date": "2026-11-06", "receipt_number": "Q-119",
                                  "csrf_token": regie.csrf_token(f"{BASE}/invoices/"
                                                                 f"{invoiced['MARTIN']}")})
    assert again.status_code == 422
    assert "already pointed paid" in again.get_data(as_text=True)
    assert balance(session, town, 3) == 0, "no second payment"

    listing = regie.get(f"{BASE}/invoices/to-pay").get_data(as_text=True)
    assert "MARTIN" not in listing and "DUPONT" in listing


def test_pointing_needs_a_receipt_or_a_comment(regie, invoiced, session, town):
    page = f"{BASE}/invoices/{invoiced['BERNARD']}"
    missing = regie.post(f"{page}/point", data={"receipt_date": "2026-11-06",
                                                "csrf_token": regie.csrf_token(page)})
    assert missing.status_code == 422
    assert "or a comment" in missing.get_data(as_text=True)
    future = regie.post(f"{page}/point", data={"receipt_date": "2999-01-01",
                                               "receipt_number": "Q1",
                                               "csrf_token": regie.csrf_token(page)})
    assert future.status_code == 422 and "future" in future.get_data(as_text=True)

    waiver = regie.post(f"{page}/point", data={"receipt_date": "2026-11-06",
                                               "receipt_comment": "remise gracieuse",
                                               "csrf_token": regie.csrf_token(page)})
    assert waiver.status_code == 302
    assert balance(session, town, 5) == 0
    invoice = fresh(session, invoiced["BERNARD"])
    assert invoice.paid and invoice.receipt_comment == "remise gracieuse"

    undo = regie.post(f"{page}/unpoint", data={"csrf_token": regie.csrf_token(page)})
    assert undo.status_code == 302
    session.rollback()
    assert not fresh(session, invoiced["BERNARD"]).paid
    assert balance(session, town, 5) == -300


def test_undoing_a_receipt_cancels_the_payment_of_the_day(regie, invoiced, session, town):
    page = f"{BASE}/invoices/{invoiced['DUPONT']}"
    regie.post(f"{page}/point", data={"receipt_date": dt.date.today().isoformat(),
                                      "receipt_number": "Q-7",
                                      "csrf_token": regie.csrf_token(page)})
    assert balance(session, town, 7) == 0
    regie.post(f"{page}/unpoint", data={"csrf_token": regie.csrf_token(page)})
    assert balance(session, town, 7) == -2200
    assert not fresh(session, invoiced["DUPONT"]).paid
    again = regie.post(f"{page}/point", data={"receipt_date": dt.date.today().isoformat(),
                                              "receipt_number": "Q-8",
                                              "csrf_token": regie.csrf_token(page)})
    assert again.status_code == 302 and balance(session, town, 7) == 0


def test_titre_de_recette_leaves_the_regie_list(regie, invoiced):
    page = f"{BASE}/invoices/{invoiced['DUPONT']}"
    regie.post(f"{page}/title", data={"title": "T-2026-44", "csrf_token": regie.csrf_token(page)})
    assert "DUPONT" not in regie.get(f"{BASE}/invoices/to-pay").get_data(as_text=True)
    found = regie.get(f"{BASE}/invoices?title=T-2026").get_data(as_text=True)
    assert "DUPONT" in found and "MARTIN" not in found


def test_duplicate_is_the_two_pages_stamped(regie, invoiced, session):
    invoice = fresh(session, invoiced["MARTIN"])
    answer = regie.get(f"{BASE}/invoices/{invoice.id}/duplicate.pdf")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(answer.data))
    assert len(reader.pages) == 2
    first, second = (page.extract_text() for page in reader.pages)
    assert invoice.number in first and "MARTIN" in first and "DUPLICATA" in first
    assert invoice.number in second and "DUPLICATA" in second


def test_csv_export_neutralises_formulas(regie, invoiced, transaction):
    with transaction() as (session, _place):
        session.get(Invoice, invoiced["MARTIN"]).legal_name = "=HYPERLINK(\"http://x\")"
    answer = regie.get(f"{BASE}/invoices?settled=all&format=csv")
    assert answer.status_code == 200
    text = answer.data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ";=HYPERLINK" not in text
    assert text.splitlines()[0].startswith("Invoice;Month;Trader number")
    assert len(text.splitlines()) == 4


def test_placier_cannot_point(signed_in, town, invoiced):
    placier = signed_in(roles={town: ["markets.placier"]})
    assert placier.get(f"{BASE}/invoices/to-pay").status_code == 403
