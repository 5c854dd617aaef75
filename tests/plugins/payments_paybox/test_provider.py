"""The provider object the core uses: start, notifications, refunds and inquiries."""

from __future__ import annotations

import pytest

from regie.api import (
    AutoSubmitForm,
    EstablishmentView,
    InvalidNotification,
    OnlineProvider,
    PaymentView,
    RawRequest,
    ReturnUrls,
    Veto,
)
from regie_paybox.hosts import HostChooser
from regie_paybox.protocol import hmac_sign
from regie_paybox.provider import PayboxProvider
from regie_paybox.settings import TEST_HMAC_KEY

from .conftest import ipn_values, signed_query
from .fakes import FakePPPS, serve

PLACE = EstablishmentView(id=1, slug="ecole-jaures", name="École Jaurès", currency="EUR",
                          locale="fr", base_url="https://regie.example")
URLS = ReturnUrls(succeeded="https://regie.example/r/ok", failed="https://regie.example/r/ko",
                  cancelled="https://regie.example/r/cancel",
                  pending="https://regie.example/r/wait",
                  notify="https://regie.example/callbacks/ecole-jaures/payments/notify/paybox")
PAYMENT = PaymentView(id=7, reference="42", amount=1250, currency="EUR",
                      payer_email="zoé@example.org", payer_name="Zoé Brontë",
                      payer_address={"city": "Besançon", "country": "FR"})


def provider(**settings) -> PayboxProvider:
    return PayboxProvider(settings, PLACE, chooser=HostChooser(lambda url, timeout: ""))


def raw(query: str, method: str = "GET") -> RawRequest:
    if method == "POST":
        return RawRequest("POST", b"", query.encode(), "127.0.0.1")
    return RawRequest("GET", query.encode(), b"", "127.0.0.1")


def test_is_an_online_provider():
    assert isinstance(provider(), OnlineProvider)
    assert provider().merchant_account() == "1999888/32"


def test_start_posts_the_signed_form_to_the_configured_host():
    form = provider(hosts="http://127.0.0.1:8089").start(PAYMENT, URLS)
    assert isinstance(form, AutoSubmitForm)
    assert (form.action, form.method) == ("http://127.0.0.1:8089/cgi/MYchoix_pagepaiement.cgi",
                                          "POST")
    values = dict(form.fields)
    assert values["PBX_CMD"] == "42" and values["PBX_TOTAL"] == "1250"
    assert values["PBX_PORTEUR"] == "zoe@example.org"
    assert values["PBX_REPONDRE_A"] == (
        "https://regie.example/callbacks/ecole-jaures/payments_paybox/ipn")
    assert values["PBX_EFFECTUE"] == URLS.succeeded and values["PBX_ANNULE"] == URLS.cancelled
    assert "<City>Besancon</City>" in values["PBX_BILLING"]
    assert values["PBX_HMAC"] == hmac_sign(form.fields, TEST_HMAC_KEY)


def test_start_uses_the_backup_host_when_the_primary_is_down():
    pages = {"https://a.example/load.html": "<p id='server_status'>KO</p>",
             "https://b.example/load.html": "<p id='server_status'>OK</p>"}
    chooser = HostChooser(lambda url, timeout: pages[url])
    form = PayboxProvider({"hosts": "a.example b.example"}, PLACE, chooser=chooser).start(
        PAYMENT, URLS)
    assert form.action.startswith("https://b.example/")


def test_start_needs_an_email_or_a_fallback():
    anonymous = PaymentView(id=8, reference="43", amount=100, currency="EUR")
    with pytest.raises(Veto, match=r"Paybox cannot take this payment: .* e-mail address"):
        provider().start(anonymous, URLS)
    form = provider(fallback_email="regie@ecole.example").start(anonymous, URLS)
    assert dict(form.fields)["PBX_PORTEUR"] == "regie@ecole.example"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_parse_notification(method):
    notification = provider().parse_notification(
        raw(signed_query(ipn_values("42", 1250)), method))
    assert (notification.reference, notification.outcome, notification.amount) == (
        "42", "succeeded", 1250)
    assert notification.event_key == "42:30446761:00000"
    assert notification.merchant == "1999888/32" and notification.currency is None
    assert notification.details == {"code": "00000", "trans": "30446761",
                                    "appel": "51636600", "auto": "XXXXXX"}


def test_refused_payment_carries_the_reason():
    notification = provider().parse_notification(raw(signed_query(ipn_values("42", 1250,
                                                                             "00151"))))
    assert notification.outcome == "failed"
    assert notification.reason == "Refused by the card issuer: insufficient funds"


def test_invalid_notification_and_browser_return():
    forged = signed_query(ipn_values("42", 1250)).replace("Mt=1250", "Mt=1")
    with pytest.raises(InvalidNotification, match="signature"):
        provider().parse_notification(raw(forged))
    assert provider().parse_return(raw(forged)) is None
    assert provider().parse_return(raw(signed_query(ipn_values("42", 1250)))).outcome == (
        "succeeded")


@pytest.fixture
def ppps():
    fake = FakePPPS(TEST_HMAC_KEY)
    with serve(fake) as url:
        yield fake, url + "/PPPS.php"


def test_refund_through_paybox_direct(ppps):
    fake, url = ppps
    fake.add("30446761", "42", 1250, numappel="51636600")
    paid = PaymentView(id=7, reference="42", amount=1250, currency="EUR",
                       provider_data={"trans": "30446761", "appel": "51636600"})
    result = provider(ppps_urls=url).refund(paid, 500)
    assert (result.ok, result.code) == (True, "00000")
    assert fake.transactions["30446761"]["refunded"] == 500
    too_much = provider(ppps_urls=url).refund(paid, 800)
    assert (too_much.ok, too_much.code, too_much.message) == (False, "00011",
                                                              "Montant incorrect")


def test_refund_finds_the_call_number_when_it_was_not_kept(ppps):
    fake, url = ppps
    fake.add("30446761", "42", 1250, numappel="51636600")
    paid = PaymentView(id=7, reference="42", amount=1250, currency="EUR",
                       provider_reference="30446761")
    assert provider(ppps_urls=url).refund(paid, 1250).ok
    assert [dict(question)["TYPE"] for question in fake.questions] == ["00017", "00014"]
    assert dict(fake.questions[1])["NUMAPPEL"] == "51636600"


def test_refund_of_an_unknown_transaction_is_refused(ppps):
    _fake, url = ppps
    result = provider(ppps_urls=url).refund(PAYMENT, 100)
    assert (result.ok, result.code) == (False, "no-transaction")


def test_inquiry(ppps):
    fake, url = ppps
    fake.add("555", "42", 1250, status="Capturé")
    found = provider(ppps_urls=url).inquire(PAYMENT)
    assert (found.outcome, found.provider_reference, found.merchant) == (
        "succeeded", "555", "1999888/32")
    assert found.details["source"] == "inquiry"
    assert provider(ppps_urls=url).inquire(
        PaymentView(id=9, reference="nope", amount=1, currency="EUR")) is None


def test_a_stored_key_that_is_not_hex_refuses_to_start_with_a_reason():
    """Settings saved through Régie are checked, but a key changed behind its back must still
    give a clear refusal, not a server error."""
    with pytest.raises(Veto, match="the HMAC key is not hexadecimal: it contains 'z'"):
        provider(hmac_key="zz" * 64).start(PAYMENT, URLS)


def test_inquiry_refused_by_paybox_direct_is_not_an_answer(ppps):
    from regie_paybox.ppps import Unavailable

    _fake, url = ppps
    wrong_key = provider(ppps_urls=url, hmac_key="AB" * 64)
    with pytest.raises(Unavailable, match="00006"):
        wrong_key.inquire(PAYMENT)
