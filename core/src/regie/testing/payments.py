"""The payment-method conformance suite, and a fake online method for tests.

An online method plugin proves its notification handling meets the core's guarantees by
subclassing :class:`OnlineMethodConformance` and providing the ``payment_adapter`` fixture::

    from regie.testing.payments import OnlineMethodConformance

    class TestPayboxConformance(OnlineMethodConformance):
        @pytest.fixture
        def payment_adapter(self):
            return PayboxAdapter()    # implements ConformanceAdapter

The adapter knows how to build a genuine notification for a payment, how to tamper with one,
and how the payer's browser comes back. Concurrent deliveries run in threads on SQLite and in
processes on PostgreSQL (``REGIE_TEST_DATABASE=postgres``).

:data:`FAKE_METHOD` is an online method whose notifications are HMAC-signed query strings;
:func:`engine_with_fake_method` loads it as part of the core, for tests of plugins that need
"any online method" without depending on a real provider.
"""

from __future__ import annotations

import hashlib
import hmac
import multiprocessing
import secrets
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode

import attrs
import pytest
from sqlalchemy import func, select

from regie.api import (
    InvalidNotification,
    PaymentMethod,
    ProviderNotification,
    ProviderResult,
    RawRequest,
    Redirect,
    hookimpl,
)

FAKE_METHOD = "fake_online"
FAKE_SECRET = "fake-online-test-secret"
FAKE_MERCHANT = "FAKE-0001"
FAKE_HOST = "https://pay.fake-provider.test"


# --- a fake online method ------------------------------------------------------------------


def fake_sign(fields: Iterable[tuple[str, str]], secret: str = FAKE_SECRET) -> bytes:
    """A query string of ``fields`` ending with ``sig``, the HMAC-SHA256 of what precedes it."""
    query = urlencode(list(fields))
    signature = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    return f"{query}&sig={signature}".encode()


class FakeOnlineProvider:
    """The provider of :data:`FAKE_METHOD`. Settings: ``secret``, ``merchant``."""

    def __init__(self, settings: dict[str, Any] | None = None, establishment: Any = None):
        settings = settings or {}
        self.secret = settings.get("secret") or FAKE_SECRET
        self.merchant = settings.get("merchant") or FAKE_MERCHANT
        self.establishment = establishment
        self.refunds: list[tuple[str, int]] = []

    def merchant_account(self) -> str:
        return self.merchant

    def start(self, payment, urls) -> Redirect:
        query = urlencode({"ref": payment.reference, "amount": payment.amount,
                           "currency": payment.currency, "back": urls.succeeded,
                           "notify": urls.notify})
        return Redirect(f"{FAKE_HOST}/pay?{query}")

    def _verified(self, raw: bytes) -> dict[str, str]:
        query, _sep, signature = raw.rpartition(b"&sig=")
        expected = hmac.new(self.secret.encode(), query, hashlib.sha256).hexdigest().encode()
        if not signature or not hmac.compare_digest(signature, expected):
            raise InvalidNotification("signature missing or invalid")
        try:
            return dict(parse_qsl(query.decode("ascii"), strict_parsing=True))
        except (UnicodeDecodeError, ValueError) as exc:
            raise InvalidNotification(f"malformed query: {exc}") from None

    def parse_notification(self, request: RawRequest) -> ProviderNotification:
        values = self._verified(request.body if request.method == "POST" else
                                request.query_string)
        try:
            amount = int(values["amount"])
            return ProviderNotification(
                event_key=f"{values['ref']}:{values['txn']}:{values['outcome']}",
                reference=values["ref"], outcome=values["outcome"], amount=amount,
                currency=values.get("currency"), merchant=values.get("merchant"),
                provider_reference=values["txn"], code=values["outcome"],
                details={"txn": values["txn"]})
        except (KeyError, ValueError) as exc:
            raise InvalidNotification(f"incomplete notification: {exc}") from None

    def parse_return(self, request: RawRequest) -> ProviderNotification | None:
        try:
            return self.parse_notification(request)
        except InvalidNotification:
            return None

    def refund(self, payment, amount: int) -> ProviderResult:
        self.refunds.append((payment.reference, amount))
        return ProviderResult(ok=True, code="ok", provider_reference=f"R-{payment.reference}")


@hookimpl
def regie_payment_methods():
    return [PaymentMethod(FAKE_METHOD, "Fake online method (tests)", online=True,
                          provider=FakeOnlineProvider)]


def engine_with_fake_method(names: Iterable[str] = ()):
    """An engine loading the plugins ``names`` with :data:`FAKE_METHOD` as part of the core,
    so it is offered in every establishment."""
    from regie.engine import Engine
    from regie.engine.manager import _builtin_modules
    from regie.runtime import CORE_COMMANDS

    return Engine(list(names), builtins=[*_builtin_modules(), sys.modules[__name__]],
                  reserved_cli=CORE_COMMANDS)


# --- the conformance suite -----------------------------------------------------------------


class ConformanceAdapter(Protocol):
    """What a method's test suite tells the conformance suite."""

    #: The payment method's code, and the plugin to enable for it (``None``: the core's).
    method: str
    plugin: str | None
    #: The plugin's settings in the test establishment.
    settings: dict[str, Any]
    #: Outcomes :meth:`notification` can produce, among ``succeeded``, ``failed``,
    #: ``cancelled``, ``duplicate`` (the provider's "already paid"); the first two are required.
    outcomes: tuple[str, ...]

    def notification(self, payment, outcome: str, *, amount: int | None = None,
                     attempt: int = 1) -> RawRequest:
        """A genuine server notification about ``payment`` (a :class:`regie.api.PaymentView`):
        ``outcome`` of attempt number ``attempt`` (another attempt is another provider event),
        stating ``amount`` (default: the payment's)."""

    def tamper(self, raw: RawRequest) -> RawRequest:
        """``raw`` changed after signing (e.g. a larger amount): no longer genuine."""

    def browser_return(self, payment, outcome: str) -> RawRequest:
        """What the payer's browser brings back to our return page after ``outcome``."""


class FakeAdapter:
    """The adapter of :data:`FAKE_METHOD`."""

    method = FAKE_METHOD
    plugin = None
    settings: dict[str, Any] = {}
    outcomes = ("succeeded", "failed", "cancelled", "duplicate")

    def notification(self, payment, outcome, *, amount=None, attempt=1) -> RawRequest:
        fields = [("ref", payment.reference), ("txn", f"T{attempt}"), ("outcome", outcome),
                  ("amount", str(payment.amount if amount is None else amount)),
                  ("currency", payment.currency), ("merchant", FAKE_MERCHANT)]
        return RawRequest("GET", fake_sign(fields), b"", "192.0.2.10")

    def tamper(self, raw: RawRequest) -> RawRequest:
        query, _sep, signature = raw.query_string.rpartition(b"&sig=")
        forged = query.replace(b"amount=", b"amount=9", 1)
        return attrs.evolve(raw, query_string=forged + b"&sig=" + signature)

    def browser_return(self, payment, outcome) -> RawRequest:
        return self.notification(payment, outcome, attempt=99)


@attrs.define
class Scenario:
    """One establishment offering the method under test, and helpers to play deliveries."""

    runtime: Any
    establishment: Any
    adapter: ConformanceAdapter
    counter: int = 0

    def new_payment(self, amount: int = 1250):
        """A pending payment by the method for a new account; its :class:`PaymentView`."""
        from regie.db.models import Establishment
        from regie.services import ledger, payments

        self.counter += 1
        with self.runtime.db.transaction() as session:
            place = session.get(Establishment, self.establishment.id)
            account = ledger.open_account(session, place, kind="conformance.payer",
                                          owner_key=f"{self.counter}-{secrets.token_hex(3)}")
            payment = payments.create_payment(
                session, self.runtime, place, account=account, amount=amount,
                method=self.adapter.method, description="Conformance",
                payer_email="payer@example.org")
            return payments.payment_view(payment)

    def deliver(self, raw: RawRequest):
        from regie.services.payments_notifications import receive_notification

        return receive_notification(self.runtime, self.establishment.id, self.adapter.method,
                                    raw)

    def browser_return(self, payment, raw: RawRequest):
        from regie.services.payments_notifications import payment_return

        return payment_return(self.runtime, self.establishment.id, self.token(payment), raw)

    def token(self, payment) -> str:
        from regie.db.money import Payment

        with self.runtime.db.session() as session:
            return session.get(Payment, payment.id).token

    def payment(self, payment):
        from regie.db.money import Payment

        with self.runtime.db.session() as session:
            return session.get(Payment, payment.id)

    def entries(self, payment) -> int:
        from regie.db.money import LedgerEntry

        with self.runtime.db.session() as session:
            return session.scalar(select(func.count()).select_from(LedgerEntry).where(
                LedgerEntry.payment_id == payment.id))

    def balance(self, payment) -> int:
        from regie.db.money import LedgerAccount

        with self.runtime.db.session() as session:
            return session.get(LedgerAccount, self.payment(payment).account_id).balance

    def notifications(self, **criteria: Any) -> list:
        from regie.db.money import PaymentNotification

        with self.runtime.db.session() as session:
            query = select(PaymentNotification).where(
                PaymentNotification.establishment_id == self.establishment.id)
            for name, value in criteria.items():
                query = query.where(getattr(PaymentNotification, name) == value)
            return list(session.scalars(query))

    def ledger_ok(self) -> bool:
        from regie.services import ledger

        return ledger.verify_establishment(self.runtime.db, self.establishment.id).ok

    def concurrently(self, calls: list[Callable[[], Any]]) -> list[Any]:
        """Run ``calls`` at the same moment: threads on SQLite, processes elsewhere (one
        connection pool each, as separate server workers would have)."""
        if self.runtime.db.is_sqlite:
            barrier = threading.Barrier(len(calls))

            def run(call):
                barrier.wait()
                return call()

            with ThreadPoolExecutor(len(calls)) as pool:
                return list(pool.map(run, calls))
        return _in_processes(self.runtime, calls)


def _in_processes(runtime, calls: list[Callable[[], Any]]) -> list[Any]:
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(len(calls)), context.Queue()
    runtime.db.dispose()

    def child(index: int, call: Callable[[], Any]) -> None:
        from regie.db import Database

        runtime.db = Database(runtime.config.database_url)
        barrier.wait()
        try:
            results.put((index, call(), None))
        except Exception as exc:
            results.put((index, None, repr(exc)))

    processes = [context.Process(target=child, args=(index, call))
                 for index, call in enumerate(calls)]
    for process in processes:
        process.start()
    collected = dict.fromkeys(range(len(calls)))
    for _ in calls:
        index, value, error = results.get(timeout=120)
        if error:
            raise AssertionError(f"delivery {index} failed: {error}")
        collected[index] = value
    for process in processes:
        process.join(timeout=60)
    return [collected[index] for index in range(len(calls))]


class OnlineMethodConformance:
    """The guarantees every online payment method must give; see the module docstring."""

    @pytest.fixture
    def payment_adapter(self) -> ConformanceAdapter:
        raise NotImplementedError("provide the payment_adapter fixture in your test class")

    @pytest.fixture
    def scenario(self, regie_runtime, make_establishment, payment_adapter) -> Scenario:
        plugins = ({payment_adapter.plugin: dict(payment_adapter.settings)}
                   if payment_adapter.plugin else {})
        return Scenario(regie_runtime, make_establishment(plugins=plugins), payment_adapter)

    def test_a_genuine_success_credits_the_account_once_with_a_receipt(self, scenario):
        first, second = scenario.new_payment(1250), scenario.new_payment(800)
        result = scenario.deliver(scenario.adapter.notification(first, "succeeded"))
        assert (result.status, result.payment_state) == ("applied", "succeeded")
        scenario.deliver(scenario.adapter.notification(second, "succeeded"))
        assert scenario.entries(first) == 1 and scenario.balance(first) == 1250
        assert [scenario.payment(p).receipt_number for p in (first, second)] == [1, 2]
        assert scenario.ledger_ok()

    def test_a_duplicate_delivery_changes_nothing(self, scenario):
        payment = scenario.new_payment()
        raw = scenario.adapter.notification(payment, "succeeded")
        assert scenario.deliver(raw).status == "applied"
        again = scenario.deliver(raw)
        assert (again.status, again.payment_state) == ("duplicate", "succeeded")
        assert scenario.entries(payment) == 1 and scenario.balance(payment) == payment.amount

    def test_twenty_concurrent_deliveries_make_one_success_and_one_entry(self, scenario):
        payment = scenario.new_payment()
        raw = scenario.adapter.notification(payment, "succeeded")
        results = scenario.concurrently([lambda: scenario.deliver(raw)] * 20)
        assert sorted(result.status for result in results) == ["applied"] + ["duplicate"] * 19
        assert scenario.payment(payment).state == "succeeded"
        assert scenario.entries(payment) == 1 and scenario.balance(payment) == payment.amount
        assert len(scenario.notifications(payment_id=payment.id)) == 1
        assert scenario.ledger_ok()

    def test_a_refused_attempt_then_an_accepted_one(self, scenario):
        payment = scenario.new_payment()
        refused = scenario.deliver(scenario.adapter.notification(payment, "failed", attempt=1))
        assert (refused.status, refused.payment_state) == ("applied", "failed")
        assert scenario.entries(payment) == 0
        accepted = scenario.deliver(scenario.adapter.notification(payment, "succeeded",
                                                                  attempt=2))
        assert (accepted.status, accepted.payment_state) == ("applied", "succeeded")
        assert scenario.entries(payment) == 1
        late = scenario.deliver(scenario.adapter.notification(payment, "failed", attempt=3))
        assert (late.status, late.payment_state) == ("ignored", "succeeded")

    def test_the_provider_saying_already_paid_never_makes_a_new_payment(self, scenario):
        if "duplicate" not in scenario.adapter.outcomes:
            pytest.skip("this method has no 'already paid' outcome")
        payment = scenario.new_payment()
        scenario.deliver(scenario.adapter.notification(payment, "succeeded", attempt=1))
        result = scenario.deliver(scenario.adapter.notification(payment, "duplicate", attempt=2))
        assert (result.status, result.payment_state) == ("ignored", "succeeded")
        assert scenario.entries(payment) == 1

    def test_an_amount_mismatch_goes_to_review_with_the_evidence(self, scenario):
        payment = scenario.new_payment(1250)
        result = scenario.deliver(scenario.adapter.notification(payment, "succeeded",
                                                                amount=1000))
        assert (result.status, result.payment_state) == ("review", "needs_review")
        row = scenario.payment(payment)
        assert row.review_evidence["expected"]["amount"] == 1250
        assert row.review_evidence["received"]["amount"] == 1000
        assert scenario.entries(payment) == 0 and row.receipt_number is None

    def test_a_tampered_notification_is_refused_logged_and_changes_nothing(self, scenario,
                                                                          caplog):
        payment = scenario.new_payment()
        forged = scenario.adapter.tamper(scenario.adapter.notification(payment, "succeeded"))
        with caplog.at_level("WARNING", logger="regie.payments"):
            result = scenario.deliver(forged)
        assert result.status == "rejected" and result.reason
        assert any("rejected" in message for message in caplog.messages)
        stored = scenario.notifications(status="rejected")
        assert len(stored) == 1 and stored[0].reason == result.reason
        assert stored[0].query_string + stored[0].body == forged.query_string + forged.body
        assert scenario.payment(payment).state == "pending" and scenario.entries(payment) == 0
        assert scenario.deliver(forged).status == "duplicate"

    def test_an_unknown_reference_is_stored_for_review(self, scenario):
        known = scenario.new_payment()
        stranger = attrs.evolve(known, id=0, reference=f"UNKNOWN-{secrets.token_hex(3)}")
        result = scenario.deliver(scenario.adapter.notification(stranger, "succeeded"))
        assert result.status == "unmatched" and result.payment_id is None
        [stored] = scenario.notifications(status="unmatched")
        assert stored.reference == stranger.reference
        assert stored.reason == f"no payment has the reference '{stranger.reference}'", (
            "the review queue says why it is there")
        assert scenario.payment(known).state == "pending" and scenario.entries(known) == 0

    def test_the_browser_return_never_confirms_and_races_safely(self, scenario):
        payment = scenario.new_payment()
        claim = scenario.adapter.browser_return(payment, "succeeded")
        alone = scenario.browser_return(payment, claim)
        assert alone.state == "pending" and scenario.entries(payment) == 0
        raw = scenario.adapter.notification(payment, "succeeded")
        calls = [lambda: scenario.browser_return(payment, claim)] * 5 + [
            lambda: scenario.deliver(raw)]
        results = scenario.concurrently(calls)
        assert {view.state for view in results[:5]} <= {"pending", "succeeded"}
        assert results[5].status == "applied"
        assert scenario.browser_return(payment, claim).state == "succeeded"
        assert scenario.entries(payment) == 1

    def test_replaying_an_old_notification_touches_no_other_payment(self, scenario):
        old, current = scenario.new_payment(), scenario.new_payment()
        raw = scenario.adapter.notification(old, "succeeded")
        scenario.deliver(raw)
        replay = scenario.deliver(raw)
        assert replay.status == "duplicate" and replay.payment_id == old.id
        assert scenario.payment(current).state == "pending" and scenario.entries(current) == 0
        assert scenario.entries(old) == 1


__all__ = [
    "FAKE_METHOD",
    "ConformanceAdapter",
    "FakeAdapter",
    "FakeOnlineProvider",
    "OnlineMethodConformance",
    "Scenario",
    "engine_with_fake_method",
    "fake_sign",
]
