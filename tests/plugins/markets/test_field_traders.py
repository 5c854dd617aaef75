"""Trader records through the back office: SIRET checks with reasons, mandatory fields kept on
error, searches and CSV export, badge association and PDF, blocking, self-service codes."""

from __future__ import annotations

import csv
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from regie.api import Invalid
from regie.testing.plugin import PASSWORD
from regie_markets import traders
from regie_markets.models import Trader

FORM = {"last_name": "GARCIA", "first_name": "Ana", "address": "3 rue Haute",
        "postcode": "34400", "city": "Lunel", "siret": "732 829 320 00074"}


@pytest.mark.parametrize(("siret", "valid"), [
    ("73282932000074", True), ("35600000000048", True), ("35600000049837", True),
    ("73282932000079", False), ("35600000049838", False), ("7328293200007", False),
    ("7328293200007A", False), ("", False)])
def test_siret_uses_the_la_poste_rule(siret, valid):
    if valid:
        assert traders.check_siret(siret) == siret
    else:
        with pytest.raises(Invalid):
            traders.check_siret(siret)


@pytest.mark.parametrize(("siret", "reason"), [
    ("73282932000079", "check digit"), ("12345678900000", "SIREN"),
    ("7328293200007", "14 digits, not 13"), ("7328293200007A", "only digits"),
    ("", "is required")])
def test_siret_message_says_why(siret, reason):
    with pytest.raises(Invalid) as refused:
        traders.check_siret(siret)
    assert reason in str(refused.value.errors["siret"])


@pytest.fixture
def office(signed_in, town):
    return signed_in(roles={town: ["markets.regie"]})


def test_new_trader_with_bad_siret_redisplays_everything(office, transaction):
    page = office.submit("/lunel/markets/traders/new", {**FORM, "siret": "73282932000079",
                                                        "address": ""})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "invalid SIRET" in html and "is required" in html
    assert 'value="GARCIA"' in html and 'value="73282932000079"' in html
    with transaction() as (session, _place):
        assert session.scalars(select(Trader)).all() == []


def test_new_trader_gets_a_number_an_account_and_a_secret_badge_url(office, transaction):
    created = office.submit("/lunel/markets/traders/new", FORM)
    assert created.status_code == 302
    with transaction() as (session, _place):
        trader = session.scalars(select(Trader)).one()
        assert (trader.number, trader.siret, trader.legal_name) == (1, "73282932000074",
                                                                    "GARCIA Ana")
        assert trader.account_id is not None
        assert trader.badge_token != str(trader.number) and len(trader.badge_token) >= 20
    page = office.get(created.headers["Location"]).get_data(as_text=True)
    assert "GARCIA Ana" in page and "Record state: photo missing" in page


def test_badge_association_refuses_a_serial_already_used(office, make_trader, load):
    first = make_trader(badge="04A0001")
    second = make_trader("DUPONT", "Luc")
    page = office.submit(f"/lunel/markets/traders/{second}/badge", {"serial": "04A0001"})
    assert page.status_code == 422
    assert f"belongs to trader {load(Trader, first).number}" in page.get_data(as_text=True)
    assert office.submit(f"/lunel/markets/traders/{second}/badge",
                         {"serial": "04A0002"}).status_code == 302
    assert load(Trader, second).badge_associated


def test_badge_pdf_is_credit_card_sized_with_names_and_qr(office, make_trader, load):
    trader = make_trader("LEROY", "Hugo", legal_name="Leroy Primeurs SARL")
    response = office.get(f"/lunel/markets/traders/{trader}/badge.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    page = reader.pages[0]
    width_mm = float(page.mediabox.width) / 72 * 25.4
    height_mm = float(page.mediabox.height) / 72 * 25.4
    assert round(width_mm, 1) == 85.6 and round(height_mm, 1) == 54.0
    text = page.extract_text()
    number = load(Trader, trader).number
    assert f"N° {number}" in text and "LEROY" in text and "Hugo" in text
    assert "Leroy Primeurs SARL" in text
    assert len(page.images) >= 1  # the QR code


def test_simple_and_advanced_search_and_csv_export(office, make_trader, transaction):
    make_trader("MOREAU", "Lina", mobile="0611223344")
    make_trader("SIMON", "Paul", blocked=True, blocked_reason="Retards répétés")
    simple = office.get("/lunel/markets/traders/?q=0611223344").get_data(as_text=True)
    assert "MOREAU Lina" in simple and "SIMON Paul" not in simple
    by_reason = office.get("/lunel/markets/traders/?q=répétés").get_data(as_text=True)
    assert "SIMON Paul" in by_reason and "MOREAU" not in by_reason
    exceeded = office.get("/lunel/markets/traders/?status_global=exceeded").get_data(
        as_text=True)
    assert "SIMON Paul" in exceeded and "MOREAU Lina" not in exceeded
    export = office.get("/lunel/markets/traders/?blocked=no&format=csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Number" and len(rows) == 2 and rows[1][1] == "MOREAU Lina"


def test_only_a_cadre_blocks(office, app, make_user, town, make_trader, load):
    trader = make_trader()
    assert office.post(f"/lunel/markets/traders/{trader}/block",
                       data={"csrf_token": office.csrf_token("/lunel/markets/traders/"),
                             "blocked_reason": "x"}).status_code == 403
    cadre = app.test_client()
    cadre.sign_in(make_user("cadre", roles={town: ["markets.cadre"]}).username, PASSWORD)
    cadre.post(f"/lunel/markets/traders/{trader}/block",
               data={"csrf_token": cadre.csrf_token("/lunel/markets/traders/"),
                     "blocked_reason": "Décision du 12/11", "blocked_details": "Arrêté 42"})
    row = load(Trader, trader)
    assert row.blocked and row.blocked_reason == "Décision du 12/11"


def test_self_service_locks_after_three_wrong_codes_without_oracle(client, make_trader, load,
                                                                   transaction):
    trader = make_trader("ROBERT", "Zoé", badge="04A0099")
    with transaction() as (session, _place):
        code = traders.generate_access_code(session.get(Trader, trader))
    url = f"/lunel/markets/b/{load(Trader, trader).badge_token}"
    page = client.get(url).get_data(as_text=True)
    assert "Access code" in page and "ROBERT" not in page
    wrong = "0000" if code != "0000" else "1111"
    for left in (2, 1):
        refused = client.submit(url, {"code": wrong})
        assert refused.status_code == 403
        assert f"{left} tries left" in refused.get_data(as_text=True)
    locked = client.submit(url, {"code": wrong})
    assert "Access locked" in locked.get_data(as_text=True)
    right_but_locked = client.post(url, data={"csrf_token": client.csrf_token(),
                                              "code": code})
    assert right_but_locked.status_code == 403
    assert "ROBERT" not in right_but_locked.get_data(as_text=True)
    with transaction() as (session, _place):
        code = traders.generate_access_code(session.get(Trader, trader))
    opened = client.submit(url, {"code": code})
    assert opened.status_code == 200 and "ROBERT Zoé" in opened.get_data(as_text=True)
    pay = f'href="/lunel/markets/pay/{load(Trader, trader).badge_token}"'
    assert pay in opened.get_data(as_text=True), "the trader can go on to pay online"
