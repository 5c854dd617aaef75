"""The Paybox System protocol as pure functions: signed request fields, response signatures,
response codes. No web framework and no database here, so tools and tests use them as they are.

References are in ``PROTOCOL.md`` of the project's shared notes: §1 for the request and its
HMAC, §2 for responses and their RSA signature.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from urllib.parse import parse_qsl, quote, unquote_to_bytes
from xml.sax.saxutils import escape

import attrs
from anyascii import anyascii
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

#: Hash functions Paybox accepts for ``PBX_HASH`` that :mod:`hashlib` always provides.
HASH_ALGORITHMS = {
    "SHA512": hashlib.sha512,
    "SHA384": hashlib.sha384,
    "SHA256": hashlib.sha256,
    "SHA224": hashlib.sha224,
}

#: Variables returned to us (``PBX_RETOUR``): name:letter pairs, the signature last.
RETURN_VARIABLES = (
    ("Mt", "M"), ("Ref", "R"), ("Auto", "A"), ("Erreur", "E"), ("Trans", "S"), ("Appel", "T"),
    ("Sign", "K"),
)
SIGNATURE_NAME = "Sign"

#: ISO 4217 numeric codes (``PBX_DEVISE``) of the currencies an establishment may use.
CURRENCY_NUMBERS = {
    "EUR": "978", "USD": "840", "GBP": "826", "CHF": "756", "CAD": "124", "JPY": "392",
    "UAH": "980", "PLN": "985", "SEK": "752", "DKK": "208", "NOK": "578", "CZK": "203",
    "HUF": "348", "RON": "946", "MAD": "504", "TND": "788", "XOF": "952", "XAF": "950",
    "XPF": "953", "AUD": "036", "NZD": "554", "CNY": "156",
}

#: ISO 3166 numeric codes of countries (``CountryCode`` of the 3-D Secure billing address).
COUNTRY_NUMBERS = {
    "FR": "250", "BE": "056", "LU": "442", "CH": "756", "MC": "492", "DE": "276", "ES": "724",
    "IT": "380", "PT": "620", "NL": "528", "GB": "826", "IE": "372", "AT": "040", "PL": "616",
    "UA": "804", "US": "840", "CA": "124", "MA": "504", "TN": "788", "DZ": "012", "SN": "686",
    "RE": "638", "GP": "312", "MQ": "474", "GF": "254", "YT": "175", "NC": "540", "PF": "258",
}

#: Paybox-level response codes (``E``) and what they mean.
CODES = {
    "00000": "Payment accepted",
    "00001": "Connection to the authorisation centre failed, or payment cancelled by the payer",
    "00003": "Paybox platform error",
    "00004": "Invalid card number or security code",
    "00006": "Access refused: site, rang or identifiant is wrong",
    "00008": "Invalid expiry date",
    "00009": "Error while creating a subscription",
    "00010": "Unknown currency",
    "00011": "Wrong amount",
    "00015": "Payment already made",
    "00016": "Subscriber already exists",
    "00021": "Card not allowed",
    "00029": "Card not compliant",
    "00030": "The payer stayed over 15 minutes on the payment page",
    "00033": "Country of the payer's IP address not allowed",
    "00040": "Operation without 3-D Secure blocked by a filter",
    "99999": "Payment pending at the Paybox platform",
}

#: Card issuer codes (the ``xx`` of ``001xx``).
ISSUER_CODES = {
    "02": "contact the card issuer",
    "03": "invalid merchant",
    "04": "keep the card",
    "05": "do not honour",
    "07": "keep the card, special conditions",
    "12": "invalid transaction",
    "13": "invalid amount",
    "14": "invalid cardholder number",
    "15": "unknown card issuer",
    "17": "cancelled by the payer",
    "33": "expired card",
    "34": "suspected fraud",
    "41": "lost card",
    "43": "stolen card",
    "51": "insufficient funds",
    "54": "expired card",
    "55": "wrong PIN",
    "56": "card not on file",
    "57": "transaction not allowed for this cardholder",
    "58": "transaction not allowed for this terminal",
    "59": "suspected fraud",
    "61": "withdrawal limit exceeded",
    "63": "security rules not met",
    "75": "too many wrong PIN entries",
    "89": "authentication failed",
    "90": "issuer system temporarily unavailable",
    "91": "card issuer unreachable",
    "94": "duplicate transaction",
    "96": "issuer system malfunction",
    "97": "timeout",
    "98": "issuer server unavailable",
}

_CANCEL_CODES = frozenset({"00001", "00030"})


@attrs.frozen
class Outcome:
    """What a response code means for the payment: one of the core's notification outcomes
    (``succeeded``, ``failed``, ``cancelled``, ``pending``, ``duplicate``) and a label."""

    code: str
    outcome: str
    label: str


def describe_code(code: str) -> Outcome:
    """Map a response code (``E``) to an :class:`Outcome`; unknown codes are failures."""
    code = (code or "").strip()
    if code == "00000":
        return Outcome(code, "succeeded", CODES[code])
    if code == "99999":
        return Outcome(code, "pending", CODES[code])
    if code == "00015":
        return Outcome(code, "duplicate", CODES[code])
    if code in _CANCEL_CODES:
        return Outcome(code, "cancelled", CODES[code])
    if re.fullmatch(r"001\d\d", code):
        reason = ISSUER_CODES.get(code[3:], f"bank code {code[3:]}")
        return Outcome(code, "failed", f"Refused by the card issuer: {reason}")
    return Outcome(code, "failed", CODES.get(code, f"Unknown response code {code or '(none)'}"))


# --- request --------------------------------------------------------------------------------


def _hmac_key(key_hex: str) -> bytes:
    text = (key_hex or "").strip()
    if not text:
        raise ValueError("the HMAC key is empty: copy it from the Paybox back office")
    if len(text) % 2:
        raise ValueError(f"the HMAC key must have an even number of hexadecimal digits "
                         f"(it has {len(text)})")
    try:
        return bytes.fromhex(text)
    except ValueError:
        bad = sorted({char for char in text if char not in "0123456789abcdefABCDEF"})
        raise ValueError("the HMAC key is not hexadecimal: it contains "
                         + ", ".join(repr(char) for char in bad)) from None


def check_hmac_key(key_hex: str) -> str | None:
    """Why ``key_hex`` cannot be used as an HMAC key, or ``None`` when it can."""
    try:
        _hmac_key(key_hex)
    except ValueError as exc:
        return str(exc)
    return None


def hmac_sign(fields: Iterable[tuple[str, str]], key_hex: str, algorithm: str = "SHA512") -> str:
    """The ``PBX_HMAC`` of ``fields``: ordered (name, value) pairs joined as ``name=value`` with
    ``&``, raw values (no URL or HTML escaping), any ``PBX_HMAC`` pair left out; uppercase hex.

    Raises :class:`ValueError` naming the problem when the key is not hexadecimal or the
    algorithm is not one Paybox accepts.
    """
    try:
        digest = HASH_ALGORITHMS[algorithm.upper()]
    except KeyError:
        raise ValueError(f"unknown hash algorithm {algorithm!r}; use one of "
                         + ", ".join(HASH_ALGORITHMS)) from None
    message = "&".join(f"{name}={value}" for name, value in fields if name != "PBX_HMAC")
    return hmac.new(_hmac_key(key_hex), message.encode("utf-8"), digest).hexdigest().upper()


def ascii_text(value: object, limit: int | None = None) -> str:
    """``value`` transliterated to printable ASCII on one line (``Zoë Łukasz`` → ``Zoe
    Lukasz``), so the hashed bytes are the same whatever charset Paybox decodes them with."""
    text = anyascii(str(value or ""))
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()
    return text[:limit].rstrip() if limit else text


def currency_number(currency: str) -> str:
    try:
        return CURRENCY_NUMBERS[currency.upper()]
    except KeyError:
        raise ValueError(f"currency {currency!r} has no ISO 4217 numeric code known to the "
                         "Paybox plugin") from None


def format_amount(amount: int) -> str:
    """``PBX_TOTAL``: minor units, at least three digits (``5`` → ``005``)."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValueError(f"the amount must be a positive whole number of minor units, "
                         f"not {amount!r}")
    return f"{amount:03d}"


def retour(variables: Iterable[tuple[str, str]] = RETURN_VARIABLES) -> str:
    """The ``PBX_RETOUR`` value; the signature variable (``K``) must come last."""
    pairs = list(variables)
    if not pairs or pairs[-1][1] != "K" or any(letter == "K" for _n, letter in pairs[:-1]):
        raise ValueError("PBX_RETOUR must end with the signature variable (letter K)")
    return ";".join(f"{name}:{letter}" for name, letter in pairs)


def shopping_cart_xml(quantity: int = 1) -> str:
    """``PBX_SHOPPINGCART`` for 3-D Secure v2 (quantity between 1 and 99)."""
    quantity = min(max(int(quantity), 1), 99)
    return ('<?xml version="1.0" encoding="utf-8"?><shoppingcart><total>'
            f"<totalQuantity>{quantity}</totalQuantity></total></shoppingcart>")


def split_name(name: str) -> tuple[str, str]:
    """First and last name from one full name (``Marie-Claire Dupont Durand`` → first
    ``Marie-Claire``, last ``Dupont Durand``)."""
    parts = ascii_text(name).split()
    if not parts:
        return "", ""
    if len(parts) == 1:
        return parts[0], parts[0]
    return parts[0], " ".join(parts[1:])


def billing_xml(name: str, address: Mapping[str, str]) -> str:
    """``PBX_BILLING`` for 3-D Secure v2 from the payer's name and address.

    ``address`` keys: ``line1``, ``line2``, ``postal_code``, ``city``, ``country`` (ISO 3166
    alpha-2, default FR). Values are transliterated to ASCII and XML-escaped; unknown parts are
    left out rather than invented.
    """
    first, last = split_name(name)
    country = (address.get("country") or "FR").strip().upper()
    parts = [
        ("FirstName", first, 22), ("LastName", last, 22),
        ("Address1", address.get("line1", ""), 50), ("Address2", address.get("line2", ""), 50),
        ("ZipCode", address.get("postal_code", ""), 16), ("City", address.get("city", ""), 50),
        ("CountryCode", COUNTRY_NUMBERS.get(country, COUNTRY_NUMBERS["FR"]), 3),
    ]
    body = "".join(f"<{tag}>{escape(ascii_text(value, limit))}</{tag}>"
                   for tag, value, limit in parts if ascii_text(value))
    return ('<?xml version="1.0" encoding="utf-8"?><Billing><Address>'
            f"{body}</Address></Billing>")


@attrs.frozen
class Account:
    """A merchant's Paybox identifiers and HMAC key."""

    site: str
    rang: str
    identifiant: str
    hmac_key: str = attrs.field(repr=False)
    algorithm: str = "SHA512"


@attrs.frozen
class PaymentRequest:
    """What the hosted payment page needs to know about one payment."""

    reference: str
    amount: int
    currency: str
    email: str
    succeeded_url: str = ""
    failed_url: str = ""
    cancelled_url: str = ""
    pending_url: str = ""
    notify_url: str = ""
    language: str = "FRA"
    payer_name: str = ""
    payer_address: Mapping[str, str] = attrs.Factory(dict)
    quantity: int = 1
    time: dt.datetime | None = None


def request_fields(account: Account, payment: PaymentRequest) -> list[tuple[str, str]]:
    """The hosted-page form fields of PROTOCOL §1 in order, ``PBX_HMAC`` last.

    Values are ASCII; empty fields are left out of both the form and the HMAC.
    """
    email = ascii_text(payment.email)
    if not 6 <= len(email) <= 120 or "@" not in email:
        raise ValueError(f"Paybox needs the payer's e-mail address (6 to 120 characters), "
                         f"not {payment.email!r}")
    reference = ascii_text(payment.reference)
    if not 1 <= len(reference) <= 250:
        raise ValueError("the payment reference must have 1 to 250 characters")
    for url in (payment.succeeded_url, payment.failed_url, payment.cancelled_url,
                payment.pending_url):
        if len(url) > 150:
            raise ValueError(f"Paybox accepts return URLs of 150 characters at most: {url}")
    when = payment.time or dt.datetime.now(dt.UTC)
    fields = [
        ("PBX_SITE", account.site.strip()),
        ("PBX_RANG", account.rang.strip()),
        ("PBX_IDENTIFIANT", account.identifiant.strip()),
        ("PBX_TOTAL", format_amount(payment.amount)),
        ("PBX_DEVISE", currency_number(payment.currency)),
        ("PBX_CMD", reference),
        ("PBX_PORTEUR", email),
        ("PBX_RETOUR", retour()),
        ("PBX_HASH", account.algorithm.upper()),
        ("PBX_TIME", when.isoformat(timespec="seconds")),
        ("PBX_EFFECTUE", ascii_text(payment.succeeded_url)),
        ("PBX_REFUSE", ascii_text(payment.failed_url)),
        ("PBX_ANNULE", ascii_text(payment.cancelled_url)),
        ("PBX_ATTENTE", ascii_text(payment.pending_url)),
        ("PBX_REPONDRE_A", ascii_text(payment.notify_url)),
        ("PBX_LANGUE", ascii_text(payment.language).upper()),
        ("PBX_SOURCE", "RWD"),
        ("PBX_SHOPPINGCART", shopping_cart_xml(payment.quantity)),
        ("PBX_BILLING", billing_xml(payment.payer_name, payment.payer_address)),
    ]
    fields = [(name, value) for name, value in fields if value]
    fields.append(("PBX_HMAC", hmac_sign(fields, account.hmac_key, account.algorithm)))
    return fields


# --- responses ------------------------------------------------------------------------------


def _paybox_digest() -> hashes.HashAlgorithm:
    """SHA-1: weak, but the only digest Paybox signs its responses with."""
    return hashes.SHA1()  # noqa: S303


def _as_bytes(raw: bytes | str) -> bytes:
    return raw if isinstance(raw, bytes) else raw.encode("utf-8")


@functools.lru_cache(maxsize=16)
def load_public_key(public_key_pem: bytes | str) -> rsa.RSAPublicKey:
    """The RSA public key of a PEM text; :class:`ValueError` when it is not one."""
    key = serialization.load_pem_public_key(_as_bytes(public_key_pem))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the Paybox public key must be an RSA key")
    return key


def split_signed(raw_query: bytes | str) -> tuple[bytes, str, bytes] | None:
    """Split a response into (signed bytes, signature name, raw signature value), the
    signature being the last variable; ``None`` when there is no such last variable."""
    raw = _as_bytes(raw_query)
    cut = raw.rfind(b"&")
    if cut <= 0:
        return None
    name, equals, value = raw[cut + 1:].partition(b"=")
    if not equals or not name or not value:
        return None
    try:
        return raw[:cut], name.decode("ascii"), value
    except UnicodeDecodeError:
        return None


def decode_signature(value: bytes | str) -> bytes | None:
    """Percent-decode keeping ``+`` as ``+`` (not form decoding), then base64-decode."""
    try:
        return base64.b64decode(unquote_to_bytes(value), validate=True)
    except (binascii.Error, ValueError):
        return None


def verify_response(raw_query: bytes | str, public_key_pem: bytes | str) -> bool:
    """Whether ``raw_query`` (query string or POST body exactly as received, signature last)
    carries a valid Paybox signature: RSA PKCS#1 v1.5 with SHA-1 over every byte before
    ``&<signature name>=``.

    The signed bytes are never rebuilt from parsed values: Paybox's escaping varies between
    callbacks. Truncated or malformed input gives ``False``, never an exception.
    """
    parts = split_signed(raw_query)
    if parts is None:
        return False
    signed, _name, value = parts
    signature = decode_signature(value)
    if not signature:
        return False
    try:
        load_public_key(public_key_pem).verify(signature, signed, padding.PKCS1v15(),
                                               _paybox_digest())
    except InvalidSignature:
        return False
    return True


def sign_response(signed_data: bytes | str, private_key_pem: bytes | str) -> str:
    """The URL-encoded signature of ``signed_data``, as Paybox appends it (used by the
    simulator with the TEST key pair)."""
    key = serialization.load_pem_private_key(_as_bytes(private_key_pem), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the signing key must be an RSA private key")
    signature = key.sign(_as_bytes(signed_data), padding.PKCS1v15(), _paybox_digest())
    return quote(base64.b64encode(signature), safe="")


def parse_response(raw_query: bytes | str) -> dict[str, str]:
    """The variables of a response, decoded (for reading values after the signature was
    checked over the raw bytes). Malformed input gives the pairs that could be read."""
    raw = _as_bytes(raw_query).decode("latin-1")
    return dict(parse_qsl(raw, keep_blank_values=True))


def key_file(name: str) -> bytes:
    """A PEM file shipped with the plugin: ``paybox-public.pem``, ``TestK004.pub.pem``,
    ``TestK004.prv.pem``."""
    return resources.files("regie_paybox").joinpath("keys", name).read_bytes()
