"""A trader pays an invoice online from the badge's page, through the establishment's online
method; the invoice is pointed paid by the provider's notification, in the same transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from regie.api import get_account
from regie.db.money import PaymentRequest
from regie.services import payments, payments_requests
from regie.services.payments_notifications import receive_notification
from regie.testing.payments import FAKE_METHOD, FakeAdapter, engine_with_fake_method
from regie_markets import traders
from regie_markets.models import ACCOUNT_KIND, Trader
from regie_markets.office_models import Invoice


@pytest.fixture(scope="session")
def regie_engine():
    return engine_with_fake_method(["markets"])


@pytest.fixture(autouse=True)
def english(client):
    with client.session_transaction() as session:
        session["lang"] = "en"


@pytest.fixture
def martin_code(small_month, run_invoicing, transaction):
    run_invoicing()
    with transaction() as (session, _place):
        trader = session.get(Trader, small_month["martin"])
        return trader.badge_token, traders.generate_access_code(trader)


def test_trader_pays_an_invoice_online(client, regie_runtime, town, martin_code, session):
    token, code = martin_code
    url = f"/lunel/markets/pay/{token}"
    wrong = client.post(url, data={"csrf_token": client.csrf_token(url), "code": "0000"})
    assert wrong.status_code == 403

    listing = client.post(url, data={"csrf_token": client.csrf_token(url), "code": code})
    page = listing.get_data(as_text=True)
    assert "2026-10-0003" in page and "Pay online" in page
    invoice = session.scalars(select(Invoice).where(Invoice.number == "2026-10-0003")).one()

    started = client.post(url, data={"csrf_token": client.csrf_token(url), "code": code,
                                     "invoice_id": invoice.id})
    assert started.status_code == 302 and "/lunel/pay/" in started.location
    session.rollback()
    request_id = session.get(Invoice, invoice.id).request_id
    request_token = session.get(PaymentRequest, request_id).token
    payment, _action = payments_requests.pay_request(regie_runtime, town.id, request_token,
                                                     FAKE_METHOD)
    view = payments.payment_view(payment)
    receive_notification(regie_runtime, town.id, FAKE_METHOD,
                         FakeAdapter().notification(view, "succeeded"))

    session.rollback()
    paid = session.get(Invoice, invoice.id)
    assert paid.paid and paid.payment_id == view.id
    assert get_account(session, town, kind=ACCOUNT_KIND, owner_key="3").balance == 0
    after = client.post(url, data={"csrf_token": client.csrf_token(url), "code": code})
    assert "2026-10-0003" not in after.get_data(as_text=True)


def test_unknown_badge_is_not_found(client, town, martin_code):
    assert client.get("/lunel/markets/pay/not-a-token").status_code == 404
