"""The back office's dashboard on the establishment home: widgets per profile, their order and
arguments set by the administrator, the billing chart, traders beyond limits."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from regie_markets.office_models import Invoice, SireneAlert


@pytest.fixture(autouse=True)
def english(client):
    with client.session_transaction() as session:
        session["lang"] = "en"


@pytest.fixture
def markets_settings() -> dict:
    return {"dashboard_message": "Marché de Noël: placement le 20/12", "arrears_amount_limit": 1000,
            "arrears_count_limit": 0}


@pytest.fixture
def october(small_month, run_invoicing, transaction):
    run_invoicing()
    last_month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    with transaction() as (session, _place):
        # Pretend October was invoiced last month and long ago enough to be in arrears.
        session.execute(update(Invoice).values(month=last_month,
                                               issued_on=dt.date.today() - dt.timedelta(90)))
        session.add(SireneAlert(establishment_id=_place.id, trader_id=small_month["martin"],
                                siret="73282932000074", kind="closed", details="closed"))
    return small_month


def test_regie_sees_billing_chart_and_traders_beyond_limits(signed_in, town, october):
    page = signed_in(roles={town: ["markets.regie"]}).get("/lunel/").get_data(as_text=True)
    assert "Marché de Noël: placement le 20/12" in page
    assert "<svg class=\"billing-chart\"" in page and "<rect" in page
    assert "€43.00" in page.replace("\u202f", "").replace("\xa0", ""), "3 invoices invoiced"
    assert "Active traders beyond limits" in page and "DUPONT" in page
    assert "SIRENE alerts to process" not in page, "not a régie widget"


def test_cadre_sees_sirene_count(signed_in, town, october):
    page = signed_in(roles={town: ["markets.cadre"]}).get("/lunel/").get_data(as_text=True)
    assert "SIRENE alerts to process" in page
    assert "alert to process" in page


def test_admin_places_widgets_per_profile(signed_in, town, october, make_user, client):
    admin = signed_in(make_user("chef", roles={town: ["markets.admin"]}))
    answer = admin.submit("/lunel/markets/office/widgets",
                          {"profile": "regie", "message-position": "", "billing-position": "1",
                           "billing-months": "2", "limits_active-position": "",
                           "sirene-position": "", "limits_inactive-position": "",
                           "blocked_tickets-position": ""})
    assert answer.status_code == 302
    wrong = admin.submit("/lunel/markets/office/widgets",
                         {"profile": "cadre", "billing-position": "first"})
    assert wrong.status_code == 422 and "a whole number" in wrong.get_data(as_text=True)
    admin.post("/logout", data={"csrf_token": admin.csrf_token("/")})
    regie = signed_in(make_user("agent", roles={town: ["markets.regie"]}))
    page = regie.get("/lunel/").get_data(as_text=True)
    assert "Marché de Noël" not in page, "the message was removed from the régie's dashboard"
    assert page.count("<rect") == 4, "two months, two bars each"

