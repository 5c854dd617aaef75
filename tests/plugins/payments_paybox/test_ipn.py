"""The IPN route: raw bytes to the core's notification path, 200 with an empty body always,
money moved once and only for genuine, matching notifications."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from regie.db.models import Establishment
from regie.db.money import LedgerAccount, LedgerEntry, Payment, PaymentNotification
from regie.services.establishments import disable_plugin, update_settings
from regie_paybox.protocol import key_file, sign_response

from .conftest import SLUG, ipn_values, signed_query

IPN = f"/callbacks/{SLUG}/payments_paybox/ipn"


def deliver(client, query: str, *, method: str = "GET", **kwargs):
    if method == "POST":
        response = client.post(IPN, data=query.encode(),
                               content_type="application/x-www-form-urlencoded", **kwargs)
    else:
        response = client.get(f"{IPN}?{query}", **kwargs)
    assert (response.status_code, response.data) == (200, b""), response.data[:500]
    assert "Set-Cookie" not in response.headers
    return response


def money_of(session, payment) -> tuple[str, int, int]:
    """(payment state, account balance, ledger entries of the payment)."""
    session.rollback()  # a new read transaction: see what was committed since
    state = session.get(Payment, payment.id).state
    balance = session.get(LedgerAccount, payment.account_id).balance
    entries = session.scalar(select(func.count()).select_from(LedgerEntry)
                             .where(LedgerEntry.payment_id == payment.id))
    return state, balance, entries


def notifications(session) -> list[PaymentNotification]:
    session.rollback()  # a new read transaction: see what was committed since
    return list(session.scalars(select(PaymentNotification).order_by(PaymentNotification.id)))


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_genuine_ipn_confirms_the_payment_once(client, session, paybox_place, new_payment,
                                               method):
    payment = new_payment(paybox_place, 1250)
    query = signed_query(ipn_values(payment.reference, 1250))
    deliver(client, query, method=method)
    deliver(client, query, method=method)
    assert money_of(session, payment) == ("succeeded", 1250, 1)
    stored = notifications(session)
    assert [row.status for row in stored] == ["applied"]
    body = stored[0].body if method == "POST" else stored[0].query_string
    assert body == query.encode(), "the raw bytes are kept as received"
    assert session.get(Payment, payment.id).provider_reference == "30446761"


def test_several_attempts_on_one_order(client, session, paybox_place, new_payment):
    """Paybox notifies every attempt: 00001, then 00159, then 00000 for the same order."""
    payment = new_payment(paybox_place, 900)
    deliver(client, signed_query(ipn_values(payment.reference, 900, "00001", trans="1")))
    assert money_of(session, payment) == ("cancelled", 0, 0)
    deliver(client, signed_query(ipn_values(payment.reference, 900, "00159", trans="2")))
    assert money_of(session, payment) == ("failed", 0, 0)
    deliver(client, signed_query(ipn_values(payment.reference, 900, "00000", trans="3")))
    assert money_of(session, payment) == ("succeeded", 900, 1)
    deliver(client, signed_query(ipn_values(payment.reference, 900, "00015", trans="4")))
    assert money_of(session, payment) == ("succeeded", 900, 1), "00015 is a duplicate"
    assert [row.status for row in notifications(session)] == [
        "applied", "applied", "applied", "ignored"]


def test_pending_code_changes_nothing(client, session, paybox_place, new_payment):
    payment = new_payment(paybox_place, 900)
    deliver(client, signed_query(ipn_values(payment.reference, 900, "99999")))
    assert money_of(session, payment) == ("pending", 0, 0)


def test_escaped_and_raw_at_sign_in_the_reference(client, session, paybox_place, new_payment):
    """Paybox escapes '@' in some callbacks and not in others: both verify, over the bytes."""
    raw_at = new_payment(paybox_place, 500, reference="zoe@example.org-1")
    escaped = new_payment(paybox_place, 600, reference="zoe@example.org-2", owner="pupil-2")
    deliver(client, signed_query(ipn_values(raw_at.reference, 500, trans="11"), escape=False))
    deliver(client, signed_query(ipn_values(escaped.reference, 600, trans="12")))
    assert money_of(session, raw_at)[0] == "succeeded"
    assert money_of(session, escaped)[0] == "succeeded"


def test_rebuilt_query_does_not_verify(client, session, paybox_place, new_payment):
    """A proxy that re-escapes '@' after Paybox signed it raw breaks the signature: refused."""
    payment = new_payment(paybox_place, 500, reference="ana@example.org")
    query = signed_query(ipn_values(payment.reference, 500), escape=False)
    deliver(client, query.replace("@", "%40", 1))
    assert money_of(session, payment) == ("pending", 0, 0)
    assert notifications(session)[0].status == "rejected"


@pytest.mark.parametrize("mangle", [
    pytest.param(lambda query: query.replace("Mt=1250", "Mt=1", 1), id="forged-amount"),
    pytest.param(lambda query: query[:-10], id="truncated-signature"),
    pytest.param(lambda query: query.split("&Sign=")[0], id="no-signature"),
    pytest.param(lambda query: query.replace("&Sign=", "&Sign=%ZZ", 1), id="bad-escape"),
    pytest.param(lambda query: "Mt=1250&&&==&Ref", id="malformed"),
    pytest.param(lambda query: "", id="empty"),
    pytest.param(lambda query: query.replace("Erreur=00000", "Erreur=00000&Erreur=00000"),
                 id="extra-variable"),
])
def test_forged_or_broken_ipn_moves_no_money(client, session, paybox_place, new_payment,
                                              mangle, caplog):
    payment = new_payment(paybox_place, 1250)
    with caplog.at_level(logging.WARNING):
        deliver(client, mangle(signed_query(ipn_values(payment.reference, 1250))))
    assert money_of(session, payment) == ("pending", 0, 0)
    [row] = notifications(session)
    assert row.status == "rejected" and row.reason
    assert "rejected paybox notification" in caplog.text


def test_signed_but_malformed_values_are_refused(client, session, paybox_place, new_payment):
    payment = new_payment(paybox_place, 1250)
    deliver(client, signed_query([("Mt", "12,50"), ("Ref", payment.reference),
                                  ("Erreur", "00000"), ("Trans", "1")]))
    deliver(client, signed_query([("Mt", "1250"), ("Ref", payment.reference),
                                  ("Erreur", "OK"), ("Trans", "2")]))
    deliver(client, signed_query([("Mt", "1250"), ("Erreur", "00000"), ("Trans", "3")]))
    assert money_of(session, payment) == ("pending", 0, 0)
    assert [row.reason for row in notifications(session)] == [
        "amount (Mt) is not a whole number: '12,50'",
        "response code (Erreur) is not 5 digits: 'OK'",
        "no reference (Ref) in the notification"]


def test_amount_mismatch_goes_to_review(client, session, paybox_place, new_payment):
    payment = new_payment(paybox_place, 1250)
    deliver(client, signed_query(ipn_values(payment.reference, 125)))
    assert money_of(session, payment) == ("needs_review", 0, 0)
    evidence = session.get(Payment, payment.id).review_evidence
    assert (evidence["expected"]["amount"], evidence["received"]["amount"]) == (1250, 125)


def test_unknown_reference_is_kept_for_review(client, session, paybox_place, new_payment):
    new_payment(paybox_place, 1250)
    deliver(client, signed_query(ipn_values("NOT-OURS", 1250)))
    [row] = notifications(session)
    assert (row.status, row.reference, row.amount) == ("unmatched", "NOT-OURS", 1250)


def test_replay_of_an_old_ipn_changes_nothing(client, session, paybox_place, new_payment):
    """An old notification, delivered again after the payment was refunded elsewhere, is
    recognised by its event key (reference, transaction, code)."""
    first = new_payment(paybox_place, 700)
    second = new_payment(paybox_place, 700, owner="pupil-2")
    old = signed_query(ipn_values(first.reference, 700, trans="77"))
    deliver(client, old)
    deliver(client, signed_query(ipn_values(second.reference, 700, trans="78")))
    deliver(client, old)
    assert money_of(session, first) == ("succeeded", 700, 1)
    assert money_of(session, second) == ("succeeded", 700, 1)
    assert len(notifications(session)) == 2


def test_production_refuses_the_test_key(client, session, make_establishment, new_payment,
                                         caplog):
    place = make_establishment(SLUG, plugins={"payments_paybox": {
        "environment": "production", "site": "1234567", "rang": "01",
        "identifiant": "123456789", "hmac_key": "AB" * 64}})
    payment = new_payment(place, 1250)
    deliver(client, signed_query(ipn_values(payment.reference, 1250)))
    assert money_of(session, payment) == ("pending", 0, 0)
    [row] = notifications(session)
    assert row.status == "rejected"
    assert row.reason == "signed with the TEST key, refused in production mode"


def test_a_settings_change_holds_from_the_next_ipn(client, session, regie_runtime,
                                                  paybox_place, new_payment):
    """The callback reads the process's copy of the establishment: switching to production,
    then switching Paybox off, must each hold for the very next notification."""
    first, second, third = (new_payment(paybox_place, 500) for _ in range(3))
    deliver(client, signed_query(ipn_values(first.reference, 500, trans="1")))
    assert money_of(session, first)[0] == "succeeded"
    with regie_runtime.db.transaction() as writing:
        place = writing.get(Establishment, paybox_place.id)
        update_settings(writing, regie_runtime.engine, place, "payments_paybox", {
            "environment": "production", "site": "1234567", "rang": "01",
            "identifiant": "123456789", "hmac_key": "AB" * 64})
    deliver(client, signed_query(ipn_values(second.reference, 500, trans="2")))
    assert money_of(session, second) == ("pending", 500, 0), "the first payment's 500 only"
    assert notifications(session)[-1].reason == (
        "signed with the TEST key, refused in production mode")
    with regie_runtime.db.transaction() as writing:
        place = writing.get(Establishment, paybox_place.id)
        disable_plugin(writing, regie_runtime.engine, place, "payments_paybox")
    response = client.get(f"{IPN}?{signed_query(ipn_values(third.reference, 500, trans='3'))}")
    assert response.status_code == 404
    assert money_of(session, third) == ("pending", 500, 0)


def test_another_private_key_is_refused(client, session, paybox_place, new_payment):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption())
    payment = new_payment(paybox_place, 1250)
    deliver(client, signed_query(ipn_values(payment.reference, 1250), private_key=other))
    assert money_of(session, payment) == ("pending", 0, 0)


def test_ip_allow_list_warns_by_default_and_refuses_when_enforced(
        client, session, paybox_place, new_payment, enable_plugin, caplog):
    payment = new_payment(paybox_place, 400)
    enable_plugin(paybox_place, "payments_paybox", ipn_allowed_ips="194.2.122.0/24")
    with caplog.at_level(logging.WARNING):
        deliver(client, signed_query(ipn_values(payment.reference, 400, trans="1")))
    assert "outside the allow-list (warn only)" in caplog.text
    assert money_of(session, payment)[0] == "succeeded"

    other = new_payment(paybox_place, 400, owner="pupil-2")
    enable_plugin(paybox_place, "payments_paybox", ipn_enforce_ips="yes")
    deliver(client, signed_query(ipn_values(other.reference, 400, trans="2")))
    assert money_of(session, other)[0] == "pending"
    deliver(client, signed_query(ipn_values(other.reference, 400, trans="2")),
            environ_base={"REMOTE_ADDR": "194.2.122.190"})
    assert money_of(session, other)[0] == "succeeded"


def test_ipn_is_404_where_paybox_is_off(client, make_establishment):
    make_establishment(SLUG)
    assert client.get(f"{IPN}?Mt=1").status_code == 404


def test_signature_name_is_whatever_comes_last(client, session, paybox_place, new_payment):
    payment = new_payment(paybox_place, 300)
    query = signed_query(ipn_values(payment.reference, 300), signature_name="K")
    deliver(client, query)
    assert money_of(session, payment)[0] == "succeeded"


def test_real_paybox_key_signature_is_accepted_in_test_mode(client, session, paybox_place):
    """The lexik vector (signed by the real Paybox key) reaches the core as genuine: its
    reference is not ours, so it is kept for review, not rejected."""
    query = ("Mt=1000&Ref=CMD1349338388&Auto=XXXXXX&Erreur=00000&Sign=QnhlnuOpcbfUruOU7kKG/ZmDP"
             "sDzM31VrpMIObQomYwEE/afhJiDPkWVN9+r3JVFXBsFnqo3VlOVzxQVVahXpF7eWiJoAe5LcIoqSvms96S"
             "FFv9LfndS/3zAO5fF/tR4Us3rOSUwT1Hs2AS17R3B9ATwBMhKt1l3DPw9hClpFw0=")
    deliver(client, query)
    [row] = notifications(session)
    assert (row.status, row.reference) == ("unmatched", "CMD1349338388")
    assert sign_response(b"x", key_file("TestK004.prv.pem"))  # the test key is usable here


def test_partial_refunds_of_a_paid_payment_go_through_paybox_direct(
        client, session, regie_runtime, make_establishment, new_payment):
    from regie.api import refund_payment
    from regie_paybox.settings import TEST_HMAC_KEY

    from .fakes import FakePPPS, serve

    fake = FakePPPS(TEST_HMAC_KEY)
    with serve(fake) as url:
        place = make_establishment(SLUG, plugins={"payments_paybox": {
            "ppps_urls": url + "/PPPS.php"}})
        payment = new_payment(place, 1250)
        deliver(client, signed_query(ipn_values(payment.reference, 1250, trans="4242",
                                                appel="8484")))
        fake.add("4242", payment.reference, 1250, numappel="8484")
        first = refund_payment(regie_runtime, place.id, payment.id, 500, reason="absent")
        second = refund_payment(regie_runtime, place.id, payment.id, 750, reason="absent")
    assert (first.state, second.state) == ("succeeded", "succeeded")
    assert [dict(question)["NUMTRANS"] for question in fake.questions] == ["4242", "4242"]
    assert money_of(session, payment) == ("refunded", 0, 3)


@pytest.mark.parametrize(("known", "state"), [(True, "succeeded"), (False, "needs_review")])
def test_confirm_by_inquiry_proves_the_money_is_on_our_account(
        client, session, make_establishment, new_payment, known, state):
    """Someone could pay our reference on their own Paybox account and point the IPN at us:
    the signature is genuine, but Paybox Direct, asked with our credentials, does not know it."""
    from regie_paybox.settings import TEST_HMAC_KEY

    from .fakes import FakePPPS, serve

    fake = FakePPPS(TEST_HMAC_KEY)
    with serve(fake) as url:
        place = make_establishment(SLUG, plugins={"payments_paybox": {
            "ppps_urls": url + "/PPPS.php", "confirm_by_inquiry": True}})
        payment = new_payment(place, 1250)
        if known:
            fake.add("4242", payment.reference, 1250)
        deliver(client, signed_query(ipn_values(payment.reference, 1250, trans="4242")))
    assert money_of(session, payment)[0] == state
    assert [dict(question)["TYPE"] for question in fake.questions] == ["00017"]
    if not known:
        received = session.get(Payment, payment.id).review_evidence["received"]
        assert received["merchant"] == "not confirmed by Paybox Direct (00012)"


def test_confirm_by_inquiry_sends_to_review_when_paybox_direct_is_silent(
        client, session, make_establishment, new_payment):
    from .fakes import serve

    with serve(lambda environ, start: []) as dead:
        pass  # nothing listens there any more
    place = make_establishment(SLUG, plugins={"payments_paybox": {
        "ppps_urls": dead + "/PPPS.php", "confirm_by_inquiry": True}})
    payment = new_payment(place, 1250)
    deliver(client, signed_query(ipn_values(payment.reference, 1250)))
    assert money_of(session, payment) == ("needs_review", 0, 0)
    [row] = notifications(session)
    assert row.status == "review", "kept, never lost: Paybox does not send it again"
    assert row.merchant == "not confirmed by Paybox Direct (PPPS-UNREACHABLE)"
    assert row.details["inquiry"]["comment"].startswith(dead)
