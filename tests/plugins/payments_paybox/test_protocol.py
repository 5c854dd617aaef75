"""The pure protocol functions against the published vectors (data/vectors.json)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from regie_paybox import protocol
from regie_paybox.protocol import (
    Account,
    PaymentRequest,
    describe_code,
    hmac_sign,
    key_file,
    request_fields,
    sign_response,
    verify_response,
)

VECTORS = json.loads((Path(__file__).parent / "data" / "vectors.json").read_text())
PAYBOX_KEY = key_file("paybox-public.pem")
TEST_PUBLIC = key_file("TestK004.pub.pem")
TEST_PRIVATE = key_file("TestK004.prv.pem")
TEST_KIT = VECTORS["rsa_sha1_vectors_official_kit_test_keypair_TestK004"]


def pairs(message: str) -> list[tuple[str, str]]:
    """Split a vector's message into form fields (values may hold '=' but no '&PBX_')."""
    return [tuple(part.split("=", 1)) for part in re.split(r"&(?=PBX_)", message)]


def test_shipped_keys_are_the_published_ones():
    assert PAYBOX_KEY.decode() == VECTORS["paybox_public_key_pem"]
    assert TEST_PUBLIC.decode() == TEST_KIT["public_key_pem"]
    assert TEST_PRIVATE.decode() == TEST_KIT["private_key_pem"]


@pytest.mark.parametrize("vector", VECTORS["hmac_sha512_vectors"],
                         ids=lambda vector: vector["source"].split()[0])
def test_hmac_vectors(vector):
    fields = pairs(vector["message"])
    assert "&".join(f"{name}={value}" for name, value in fields) == vector["message"]
    assert hmac_sign(fields, VECTORS["test_hmac_key_hex"]) == vector["hmac"]


def test_hmac_ignores_a_pbx_hmac_pair_and_lowercase_keys():
    vector = VECTORS["hmac_sha512_vectors"][0]
    fields = [*pairs(vector["message"]), ("PBX_HMAC", "whatever")]
    assert hmac_sign(fields, VECTORS["test_hmac_key_hex"].lower(), "sha512") == vector["hmac"]


def test_hmac_depends_on_field_order():
    fields = pairs(VECTORS["hmac_sha512_vectors"][0]["message"])
    swapped = [fields[1], fields[0], *fields[2:]]
    assert hmac_sign(swapped, VECTORS["test_hmac_key_hex"]) != hmac_sign(
        fields, VECTORS["test_hmac_key_hex"])


@pytest.mark.parametrize(("key", "message"), [
    ("0123456789ABCDEZ", "not hexadecimal: it contains 'Z'"),
    ("0123456789ABCDEF0", "even number of hexadecimal digits (it has 17)"),
    ("", "the HMAC key is empty"),
])
def test_hmac_key_that_is_not_hex_is_refused_clearly(key, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        hmac_sign([("PBX_SITE", "1999888")], key)


def test_unknown_hash_algorithm_is_refused():
    with pytest.raises(ValueError, match="unknown hash algorithm 'MD5'"):
        hmac_sign([("PBX_SITE", "1999888")], VECTORS["test_hmac_key_hex"], "MD5")


@pytest.mark.parametrize("vector", VECTORS["rsa_sha1_vectors_real_paybox_key"],
                         ids=lambda vector: vector["source"].split()[0])
def test_real_paybox_signatures_verify(vector):
    raw = f"{vector['signed_data']}&Sign={vector['sign_param_raw']}"
    assert verify_response(raw, PAYBOX_KEY)
    assert verify_response(raw.encode(), PAYBOX_KEY.decode())
    assert not verify_response(raw, TEST_PUBLIC), "a Paybox signature is not a TestK004 one"


@pytest.mark.parametrize("vector", TEST_KIT["vectors"], ids=lambda vector: vector["signed_data"])
def test_test_key_signatures_verify(vector):
    raw = f"{vector['signed_data']}&K={vector['sign_param_urlencoded']}"
    assert verify_response(raw, TEST_PUBLIC)
    assert not verify_response(raw, PAYBOX_KEY), "TestK004 must not pass for the Paybox key"
    assert sign_response(vector["signed_data"], TEST_PRIVATE) == vector["sign_param_urlencoded"]
    assert quote(vector["sign_b64"], safe="") == vector["sign_param_urlencoded"]


def test_signature_is_checked_over_raw_bytes_not_rebuilt_values():
    """The PrestaShop vector carries ':' escaped as %3A; the same values with a raw ':' (what
    rebuilding from parsed values could produce) must not verify, and neither may an '@' that
    was escaped when Paybox signed it raw."""
    vector = VECTORS["rsa_sha1_vectors_real_paybox_key"][3]
    raw = f"{vector['signed_data']}&Sign={vector['sign_param_raw']}"
    assert verify_response(raw, PAYBOX_KEY)
    assert not verify_response(raw.replace("%3A", ":"), PAYBOX_KEY)

    signed = "Mt=1000&Ref=ana@example.org&Erreur=00000"
    raw_at = f"{signed}&Sign={sign_response(signed, TEST_PRIVATE)}"
    assert verify_response(raw_at, TEST_PUBLIC)
    assert not verify_response(raw_at.replace("@", "%40", 1), TEST_PUBLIC)


@pytest.mark.parametrize("raw", [
    "", "&", "Sign=", "Mt=1000", "Mt=1000&Sign", "Mt=1000&Sign=", "Mt=1000&Sign=%%%",
    "Mt=1000&Sign=not base64!", "Mt=1000&Sign=QUJD", b"Mt=1000&Sign=\xff\xfe",
    b"\xff&\xfe=\xfd", "Mt=1000&Erreur=00000&Sign=" + "A" * 4000,
])
def test_malformed_responses_are_false_never_an_exception(raw):
    assert verify_response(raw, TEST_PUBLIC) is False


def test_truncated_response_is_refused():
    vector = TEST_KIT["vectors"][1]
    raw = f"{vector['signed_data']}&K={vector['sign_param_urlencoded']}"
    assert not verify_response(raw[:-6], TEST_PUBLIC)
    assert not verify_response(raw[5:], TEST_PUBLIC)


@pytest.mark.parametrize(("code", "outcome", "label"), [
    ("00000", "succeeded", "accepted"),
    ("00151", "failed", "insufficient funds"),
    ("00159", "failed", "suspected fraud"),
    ("00188", "failed", "bank code 88"),
    ("99999", "pending", "pending"),
    ("00001", "cancelled", "cancelled by the payer"),
    ("00015", "duplicate", "already made"),
    ("00004", "failed", "security code"),
    ("00006", "failed", "Access refused"),
    ("00030", "cancelled", "15 minutes"),
    ("00040", "failed", "3-D Secure"),
    ("12345", "failed", "Unknown response code 12345"),
    ("", "failed", "Unknown response code (none)"),
])
def test_response_codes(code, outcome, label):
    described = describe_code(code)
    assert described.outcome == outcome
    assert label in described.label


ACCOUNT = Account("1999888", "32", "107904482", VECTORS["test_hmac_key_hex"])


def payment(**changes) -> PaymentRequest:
    values = dict(
        reference="R-42", amount=5, currency="EUR", email="zoe@example.org",
        succeeded_url="https://regie.example/ok", failed_url="https://regie.example/refused",
        cancelled_url="https://regie.example/cancelled", pending_url="https://regie.example/wait",
        notify_url="https://regie.example/ipn", payer_name="Zoë Łukasz-Brontë",
        payer_address={"line1": "3 rue de l'Église", "postal_code": "31000",
                       "city": "Toulouse", "country": "FR"},
        time=dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC))
    values.update(changes)
    return PaymentRequest(**values)


def test_request_fields_order_format_and_hmac():
    fields = request_fields(ACCOUNT, payment())
    names = [name for name, _value in fields]
    assert names == [
        "PBX_SITE", "PBX_RANG", "PBX_IDENTIFIANT", "PBX_TOTAL", "PBX_DEVISE", "PBX_CMD",
        "PBX_PORTEUR", "PBX_RETOUR", "PBX_HASH", "PBX_TIME", "PBX_EFFECTUE", "PBX_REFUSE",
        "PBX_ANNULE", "PBX_ATTENTE", "PBX_REPONDRE_A", "PBX_LANGUE", "PBX_SOURCE",
        "PBX_SHOPPINGCART", "PBX_BILLING", "PBX_HMAC"]
    values = dict(fields)
    assert values["PBX_TOTAL"] == "005"
    assert values["PBX_DEVISE"] == "978"
    assert values["PBX_RETOUR"] == "Mt:M;Ref:R;Auto:A;Erreur:E;Trans:S;Appel:T;Sign:K"
    assert values["PBX_TIME"] == "2026-03-01T09:30:00+00:00"
    assert values["PBX_BILLING"] == (
        '<?xml version="1.0" encoding="utf-8"?><Billing><Address><FirstName>Zoe</FirstName>'
        "<LastName>Lukasz-Bronte</LastName><Address1>3 rue de l'Eglise</Address1>"
        "<ZipCode>31000</ZipCode><City>Toulouse</City><CountryCode>250</CountryCode>"
        "</Address></Billing>")
    message = "&".join(f"{name}={value}" for name, value in fields[:-1])
    expected = hmac.new(bytes.fromhex(VECTORS["test_hmac_key_hex"]), message.encode(),
                        hashlib.sha512).hexdigest().upper()
    assert values["PBX_HMAC"] == expected
    assert all(value.isascii() for _name, value in fields)


def test_empty_fields_are_left_out_of_form_and_hmac():
    fields = request_fields(ACCOUNT, payment(pending_url="", payer_name="", payer_address={}))
    names = [name for name, _value in fields]
    assert "PBX_ATTENTE" not in names
    assert dict(fields)["PBX_BILLING"].endswith(
        "<Address><CountryCode>250</CountryCode></Address></Billing>")
    assert dict(fields)["PBX_HMAC"] == hmac_sign(fields[:-1], ACCOUNT.hmac_key)


def test_xml_values_are_escaped_inside_the_xml():
    fields = dict(request_fields(ACCOUNT, payment(payer_name="Tom & Jerry <Co>")))
    assert "<FirstName>Tom</FirstName><LastName>&amp; Jerry &lt;Co&gt;</LastName>" in (
        fields["PBX_BILLING"])


@pytest.mark.parametrize(("changes", "message"), [
    ({"email": ""}, "e-mail address"),
    ({"amount": 0}, "positive whole number"),
    ({"amount": 12.5}, "positive whole number"),
    ({"currency": "XYZ"}, "no ISO 4217 numeric code"),
    ({"reference": ""}, "1 to 250 characters"),
    ({"succeeded_url": "https://regie.example/" + "x" * 140}, "150 characters at most"),
])
def test_bad_requests_are_refused_with_a_reason(changes, message):
    with pytest.raises(ValueError, match=message):
        request_fields(ACCOUNT, payment(**changes))


def test_retour_must_end_with_the_signature():
    with pytest.raises(ValueError, match="must end with the signature"):
        protocol.retour([("Sign", "K"), ("Mt", "M")])
