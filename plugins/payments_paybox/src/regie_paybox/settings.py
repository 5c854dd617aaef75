"""The plugin's settings per establishment: declared for the admin form, checked together, and
read as one typed object by the provider, the IPN view and the tools."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

import attrs

from regie.api import Setting, gettext
from regie.api import lazy_gettext as _l
from regie_paybox import hosts, protocol

#: The public test account of PROTOCOL §1 (shared by every merchant in pre-production).
TEST_ACCOUNT = {"site": "1999888", "rang": "32", "identifiant": "107904482"}
TEST_HMAC_KEY = "0123456789ABCDEF" * 8
LANGUAGES = (("FRA", "Français"), ("GBR", "English"), ("ESP", "Español"), ("ITA", "Italiano"),
             ("DEU", "Deutsch"), ("NLD", "Nederlands"), ("SWE", "Svenska"),
             ("PRT", "Português"))
#: Payment page language from the establishment's locale when none is chosen.
LOCALE_LANGUAGES = {"fr": "FRA", "en": "GBR", "es": "ESP", "it": "ITA", "de": "DEU",
                    "nl": "NLD", "sv": "SWE", "pt": "PRT"}

DECLARED = (
    Setting("environment", _l("Environment"), kind="choice", default="test",
            choices=(("test", _l("Test (pre-production, simulator)")),
                     ("production", _l("Production")))),
    Setting("site", _l("Site number"), default=TEST_ACCOUNT["site"],
            help=_l("7 digits, from Paybox's welcome letter.")),
    Setting("rang", _l("Rang"), default=TEST_ACCOUNT["rang"],
            help=_l("Sent exactly as given (32, 01, 001).")),
    Setting("identifiant", _l("Paybox identifier"), default=TEST_ACCOUNT["identifiant"],
            help=_l("1 to 9 digits.")),
    Setting("hmac_key", _l("HMAC key"), kind="secret",
            help=_l("Hexadecimal key generated in the Paybox back office. Left empty in test "
                    "mode, the public test key is used.")),
    Setting("hash", _l("HMAC algorithm"), kind="choice", default="SHA512",
            choices=tuple((name, name) for name in protocol.HASH_ALGORITHMS)),
    Setting("language", _l("Payment page language"), kind="choice", default="",
            choices=(("", _l("The establishment's language")), *LANGUAGES)),
    Setting("fallback_email", _l("E-mail sent when the payer gave none"), kind="email",
            help=_l("Paybox requires an e-mail address for every payment.")),
    Setting("ipn_allowed_ips", _l("Addresses allowed to notify"), kind="text", default="",
            help=_l("Optional IP addresses or networks of Paybox, separated by spaces. The "
                    "signature is the real check: Paybox changes its addresses without "
                    "notice.")),
    Setting("ipn_enforce_ips", _l("Refuse notifications from other addresses"), kind="bool",
            default=False,
            help=_l("Off: a notification from another address is only logged.")),
    Setting("hosts", _l("Payment page hosts"), kind="text", default="",
            help=_l("Overrides the Paybox hosts, primary first (e.g. http://127.0.0.1:8089 for "
                    "the simulator).")),
    Setting("ppps_urls", _l("Paybox Direct URLs"), kind="text", default="",
            help=_l("Overrides the Paybox Direct (refund, inquiry) URLs, primary first.")),
    Setting("ppps_key", _l("Paybox Direct key (CLE)"), kind="secret",
            help=_l("Only for accounts without HMAC on Paybox Direct.")),
    Setting("confirm_by_inquiry", _l("Confirm each payment with Paybox Direct"), kind="bool",
            default=False,
            help=_l("Before recording a payment Paybox notified, ask Paybox Direct, with this "
                    "account's credentials, whether the payment is on this account; otherwise "
                    "it goes to review. Needs the Paybox Direct option.")),
)


def _text(values: Mapping[str, Any], key: str) -> str:
    value = values.get(key)
    return "" if value is None else str(value).strip()


def split_networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False)
                 for item in text.replace(",", " ").split())


@attrs.frozen
class PayboxSettings:
    environment: str
    account: protocol.Account
    language: str
    fallback_email: str
    allowed_networks: tuple = ()
    enforce_ips: bool = False
    page_hosts: tuple[str, ...] = ()
    ppps_urls: tuple[str, ...] = ()
    ppps_key: str = attrs.field(default="", repr=False)
    confirm_by_inquiry: bool = False

    @property
    def test(self) -> bool:
        return self.environment != "production"

    @property
    def merchant(self) -> str:
        """How notifications name the merchant account: ``site/rang``."""
        return f"{self.account.site}/{self.account.rang}"

    def ip_allowed(self, address: str) -> bool:
        if not self.allowed_networks:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.allowed_networks)


def load(values: Mapping[str, Any], locale: str = "fr") -> PayboxSettings:
    """The typed settings, declared defaults filling what ``values`` lacks; call
    :func:`problems` first where bad values must be refused."""
    values = {**{setting.key: setting.default for setting in DECLARED},
              **{key: value for key, value in values.items() if value is not None}}
    environment = _text(values, "environment") or "test"
    key = _text(values, "hmac_key") or (TEST_HMAC_KEY if environment != "production" else "")
    account = protocol.Account(
        site=_text(values, "site"), rang=_text(values, "rang"),
        identifiant=_text(values, "identifiant"), hmac_key=key,
        algorithm=_text(values, "hash") or "SHA512")
    language = _text(values, "language") or LOCALE_LANGUAGES.get(locale[:2], "FRA")
    try:
        networks = split_networks(_text(values, "ipn_allowed_ips"))
    except ValueError:
        networks = ()
    return PayboxSettings(
        environment=environment, account=account, language=language,
        fallback_email=_text(values, "fallback_email"),
        allowed_networks=networks, enforce_ips=bool(values.get("ipn_enforce_ips")),
        page_hosts=hosts.parse_hosts(_text(values, "hosts")) or hosts.PAGE_HOSTS[environment],
        ppps_urls=hosts.parse_hosts(_text(values, "ppps_urls")) or hosts.PPPS_URLS[environment],
        ppps_key=_text(values, "ppps_key"),
        confirm_by_inquiry=bool(values.get("confirm_by_inquiry")))


def problems(values: Mapping[str, Any]) -> list[str]:
    """What is wrong with a combination of settings, in words for the administrator."""
    found = []
    production = _text(values, "environment") == "production"
    if not re.fullmatch(r"\d{7}", _text(values, "site")):
        found.append(gettext("Site number: 7 digits are expected."))
    if not re.fullmatch(r"\d{1,3}", _text(values, "rang")):
        found.append(gettext("Rang: 1 to 3 digits are expected."))
    if not re.fullmatch(r"\d{1,9}", _text(values, "identifiant")):
        found.append(gettext("Paybox identifier: 1 to 9 digits are expected."))
    key = _text(values, "hmac_key")
    if key or production:
        found.extend(_key_problems(key))
    if production and _text(values, "site") == TEST_ACCOUNT["site"]:
        found.append(gettext("Site number: the public test account cannot be used in "
                             "production."))
    if production and _text(values, "hmac_key").upper() == TEST_HMAC_KEY:
        found.append(gettext("HMAC key: the public test key cannot be used in production."))
    for item in _text(values, "ipn_allowed_ips").replace(",", " ").split():
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            found.append(gettext("Addresses allowed to notify: %(item)s is not an IP address "
                                 "or network.", item=item))
    if values.get("ipn_enforce_ips") and not _text(values, "ipn_allowed_ips"):
        found.append(gettext("Refusing other addresses needs a list of allowed addresses."))
    for key in ("hosts", "ppps_urls"):
        for host in hosts.parse_hosts(_text(values, key)):
            if production and host.startswith("http://"):
                found.append(gettext("%(url)s: production needs https.", url=host))
    return found


def _key_problems(key: str) -> list[str]:
    """The HMAC key's problems in the administrator's language (:func:`protocol.hmac_sign`
    says the same to developers)."""
    if not key:
        return [gettext("HMAC key: it is empty; copy it from the Paybox back office.")]
    bad = sorted({char for char in key if char not in "0123456789abcdefABCDEF"})
    if bad:
        return [gettext("HMAC key: it is not hexadecimal (it contains %(chars)s).",
                        chars=", ".join(repr(char) for char in bad))]
    if len(key) % 2:
        return [gettext("HMAC key: it must have an even number of hexadecimal digits (it has "
                        "%(count)d).", count=len(key))]
    return []
