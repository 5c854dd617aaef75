"""What a provider states is stored whatever its length: a value longer than its column
sends the notification to review with the whole value as evidence, it is never lost."""

import pytest

from regie.services.providers import RawRequest
from regie.testing.payments import (
    FAKE_MERCHANT,
    FakeAdapter,
    Scenario,
    engine_with_fake_method,
    fake_sign,
)


@pytest.fixture(scope="module")
def regie_engine():
    return engine_with_fake_method()


@pytest.fixture
def scenario(regie_runtime, make_establishment):
    return Scenario(regie_runtime, make_establishment(), FakeAdapter())


def _success(payment, *, currency, merchant):
    fields = [("ref", payment.reference), ("txn", "T1"), ("outcome", "succeeded"),
              ("amount", str(payment.amount)), ("currency", currency), ("merchant", merchant)]
    return RawRequest("GET", fake_sign(fields), b"", "192.0.2.10")


@pytest.mark.parametrize(("currency", "merchant", "stated"), [
    ("EUR", FAKE_MERCHANT + "-" + "9" * 200, "merchant"),
    ("EURO", FAKE_MERCHANT, "currency"),
])
def test_an_overlong_stated_value_goes_to_review_with_the_evidence(scenario, currency, merchant,
                                                                   stated):
    payment = scenario.new_payment(1250)
    result = scenario.deliver(_success(payment, currency=currency, merchant=merchant))
    assert result.payment_state == "needs_review"
    assert scenario.entries(payment) == 0 and scenario.balance(payment) == 0
    [notification] = scenario.notifications(reference=payment.reference)
    assert notification.details["stated"][stated] == {"currency": currency,
                                                      "merchant": merchant}[stated]
    assert scenario.ledger_ok()
