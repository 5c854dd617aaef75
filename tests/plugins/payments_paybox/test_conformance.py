"""Paybox against the core's online payment method conformance suite."""

from __future__ import annotations

import attrs
import pytest

from regie.api import RawRequest
from regie.testing.payments import OnlineMethodConformance

from .conftest import ipn_values, signed_query

CODES = {"succeeded": "00000", "failed": "00151", "cancelled": "00001", "duplicate": "00015"}


class PayboxAdapter:
    """Builds IPNs as Paybox sends them for our ``PBX_RETOUR``, signed with the TEST key
    (accepted because the establishment is in test mode)."""

    method = "paybox"
    plugin = "payments_paybox"
    settings: dict = {}
    outcomes = tuple(CODES)

    def notification(self, payment, outcome, *, amount=None, attempt=1) -> RawRequest:
        query = signed_query(ipn_values(
            payment.reference, payment.amount if amount is None else amount, CODES[outcome],
            trans=f"{payment.id:06d}{attempt:03d}", appel=f"9{payment.id:06d}{attempt:03d}"))
        return RawRequest("GET", query.encode(), b"", "194.2.122.158")

    def tamper(self, raw: RawRequest) -> RawRequest:
        return attrs.evolve(raw, query_string=raw.query_string.replace(b"Mt=", b"Mt=9", 1))

    def browser_return(self, payment, outcome) -> RawRequest:
        return self.notification(payment, outcome, attempt=999)


class TestPayboxConformance(OnlineMethodConformance):
    @pytest.fixture
    def payment_adapter(self):
        return PayboxAdapter()
