"""The simulator: the hosted page stand-in, its signed IPN and browser return, over real HTTP
against a running Régie."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit

import attrs
import pytest
from sqlalchemy import select
from werkzeug.test import Client

from regie.api import refund_payment, start_payment
from regie.config import load_config
from regie.db.money import LedgerAccount, Payment, PaymentNotification
from regie_paybox.protocol import key_file, request_fields, verify_response
from regie_paybox.settings import TEST_HMAC_KEY
from regie_paybox.simulator import Simulator

from .conftest import SLUG
from .fakes import serve
from .test_protocol import ACCOUNT
from .test_protocol import payment as payment_request

TEST_PUBLIC = key_file("TestK004.pub.pem")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def post(url: str, fields) -> tuple[int, dict, str]:
    """POST form ``fields`` (in order) without following redirects."""
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, data=urlencode(fields).encode(), timeout=15) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def token_of(page: str) -> str:
    return re.search(r'action="/answer/([^"]+)"', page).group(1)


# --- the WSGI app alone -------------------------------------------------------------------


@pytest.fixture
def sent():
    return []


def simulator_client(sent, **options) -> Client:
    def send(url, method, body):
        sent.append((url, method, body))
        return 200

    return Client(Simulator(send=send, **options))


def test_load_page_says_ok(sent):
    page = simulator_client(sent).get("/load.html")
    assert '<div id="server_status">OK</div>' in page.get_data(as_text=True)


@pytest.mark.parametrize(("code", "field"), [
    ("00000", "PBX_EFFECTUE"), ("00151", "PBX_REFUSE"), ("00001", "PBX_ANNULE"),
    ("99999", "PBX_ATTENTE"), ("00004", "PBX_REFUSE")])
def test_answer_sends_a_signed_ipn_then_redirects(sent, code, field):
    client = simulator_client(sent)
    fields = request_fields(ACCOUNT, payment_request(reference="R 42@x"))
    page = client.post("/cgi/MYchoix_pagepaiement.cgi", data=urlencode(fields),
                       content_type="application/x-www-form-urlencoded")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "0,05 EUR" in html and "R 42@x" in html and "was not checked" in html
    answer = client.post(f"/answer/{token_of(html)}", data={"code": code})
    assert answer.status_code == 303
    location = answer.headers["Location"]
    assert location.startswith(dict(fields)[field] + "?")
    [(ipn_url, method, body)] = sent
    assert (method, body) == ("GET", None)
    query = urlsplit(ipn_url).query
    assert ipn_url.startswith("https://regie.example/ipn?")
    assert verify_response(query, TEST_PUBLIC)
    assert f"Erreur={code}" in query and "Ref=R%2042%40x" in query
    assert ("Auto=XXXXXX" in query) == (code == "00000")
    assert verify_response(urlsplit(location).query, TEST_PUBLIC)


def test_lost_ipn_only_redirects(sent):
    client = simulator_client(sent)
    fields = request_fields(ACCOUNT, payment_request())
    html = client.post("/cgi/MYchoix_pagepaiement.cgi", data=urlencode(fields),
                       content_type="application/x-www-form-urlencoded").get_data(as_text=True)
    answer = client.post(f"/answer/{token_of(html)}", data={"code": "00000", "lose_ipn": "1"})
    assert answer.status_code == 303 and sent == []


def test_hmac_is_checked_with_the_given_key(sent):
    client = simulator_client(sent, hmac_key=TEST_HMAC_KEY)
    fields = request_fields(ACCOUNT, payment_request())
    good = client.post("/cgi/MYchoix_pagepaiement.cgi", data=urlencode(fields),
                       content_type="application/x-www-form-urlencoded")
    assert good.status_code == 200 and "was not checked" not in good.get_data(as_text=True)
    tampered = [(name, "1" if name == "PBX_TOTAL" else value) for name, value in fields]
    bad = client.post("/cgi/MYchoix_pagepaiement.cgi", data=urlencode(tampered),
                      content_type="application/x-www-form-urlencoded")
    assert bad.status_code == 400 and "HMAC does not match" in bad.get_data(as_text=True)


def test_incomplete_form_is_refused(sent):
    page = simulator_client(sent).post("/cgi/MYchoix_pagepaiement.cgi", data={"PBX_SITE": "1"})
    assert page.status_code == 400 and "PBX_TOTAL" in page.get_data(as_text=True)


# --- over real HTTP, with a running Régie -------------------------------------------------


class Dispatcher:
    """A WSGI app set after the server is bound, so the instance's base_url can name the
    server's port."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture
def regie_server():
    dispatcher = Dispatcher()
    with serve(dispatcher) as url:
        yield dispatcher, url


@pytest.fixture
def regie_config(tmp_path, regie_test_database, regie_server):
    return load_config(tmp_path, environ={}, secret_key="test-secret-key",
                       database_url=regie_test_database.url_for_test(tmp_path),
                       tasks_url=f"sqlite:///{tmp_path / 'tasks.db'}",
                       base_url=regie_server[1])


@pytest.fixture
def simulator_url():
    with serve(Simulator(hmac_key=TEST_HMAC_KEY)) as url:
        yield url


def test_pay_through_the_simulator_over_http(regie_server, regie_runtime, make_establishment,
                                             new_payment, simulator_url, session):
    from regie.web import create_app

    dispatcher, base_url = regie_server
    dispatcher.app = create_app(runtime=regie_runtime)
    place = make_establishment(SLUG, plugins={"payments_paybox": {
        "hosts": simulator_url, "ppps_urls": simulator_url + "/PPPS.php"}})
    paid, refused = new_payment(place, 1250), new_payment(place, 800, owner="pupil-2")

    for payment, code in ((paid, "00000"), (refused, "00151")):
        form = start_payment(regie_runtime, place.id, payment.id)
        assert form.action == simulator_url + "/cgi/MYchoix_pagepaiement.cgi"
        status, _headers, page = post(form.action, form.fields)
        assert status == 200, page
        status, headers, _page = post(f"{simulator_url}/answer/{token_of(page)}",
                                      {"code": code})
        assert status == 303
        assert headers["Location"].startswith(f"{base_url}/{SLUG}/pay/return/")

    session.rollback()
    assert session.get(Payment, paid.id).state == "succeeded"
    assert session.get(LedgerAccount, paid.account_id).balance == 1250
    assert session.get(Payment, refused.id).state == "failed"
    assert session.get(LedgerAccount, refused.account_id).balance == 0
    stored = session.scalars(select(PaymentNotification).order_by(PaymentNotification.id)).all()
    assert [(row.status, row.code) for row in stored] == [("applied", "00000"),
                                                          ("applied", "00151")]

    for amount, balance in ((250, 1000), (1000, 0)):
        refund = refund_payment(regie_runtime, place.id, paid.id, amount, reason="trip off")
        assert refund.state == "succeeded", refund.provider_message
        session.rollback()
        assert session.get(LedgerAccount, paid.account_id).balance == balance
    assert session.get(Payment, paid.id).refunded_amount == 1250


def test_paybox_direct_on_the_simulated_payments(sent):
    from regie_paybox.ppps import Client as PPPSClient

    simulator = Simulator(hmac_key=TEST_HMAC_KEY, send=lambda url, method, body: 200)
    client = Client(simulator)
    fields = request_fields(ACCOUNT, payment_request(reference="R-7", amount=1250))
    html = client.post("/cgi/MYchoix_pagepaiement.cgi", data=urlencode(fields),
                       content_type="application/x-www-form-urlencoded").get_data(as_text=True)
    client.post(f"/answer/{token_of(html)}", data={"code": "00000"})
    order = next(iter(simulator.orders.values()))

    def post(url, body, timeout):
        return client.post("/PPPS.php", data=body,
                           content_type="application/x-www-form-urlencoded").get_data()

    ppps = PPPSClient(ACCOUNT, ["http://simulator/PPPS.php"], post=post)
    assert ppps.inquire(amount=1250, currency="EUR", reference="R-7").fields["STATUS"] == (
        "Capturé")
    refund = dict(reference="R-7", currency="EUR", numappel=order.numappel,
                  numtrans=order.numtrans)
    assert ppps.refund(amount=1000, **refund).ok
    assert ppps.refund(amount=251, **refund).code == "00011"
    assert ppps.inquire(amount=1250, currency="EUR", reference="R-7",
                        numtrans=order.numtrans).fields["STATUS"] == "Remboursé"
    assert ppps.inquire(amount=1, currency="EUR", reference="nope").code == "00012"
    wrong_key = PPPSClient(attrs.evolve(ACCOUNT, hmac_key="AB" * 64), ppps.urls, post=post)
    assert wrong_key.inquire(amount=1, currency="EUR", reference="R-7").code == "00006"
