"""The payment-method conformance suite, run against the fake online method of
:mod:`regie.testing.payments` (HMAC-signed query strings): the proof that the suite passes for a
method that meets the core's guarantees, before any real provider runs it."""

import pytest

from regie.testing.payments import FakeAdapter, OnlineMethodConformance, engine_with_fake_method


@pytest.fixture(scope="module")
def regie_engine():
    return engine_with_fake_method()


class TestFakeOnlineMethodConformance(OnlineMethodConformance):
    @pytest.fixture
    def payment_adapter(self):
        return FakeAdapter()
