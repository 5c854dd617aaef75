"""The contract between the core's payments and a payment method's implementation.

A :class:`regie.api.PaymentMethod` names a ``provider`` factory; the core calls
``provider(settings=<the plugin's settings there>, establishment=<EstablishmentView>)`` and uses
the returned object through the methods of :class:`OnlineProvider` (online methods) or
:class:`ManualProvider` (methods recorded by staff).

Providers see plain data only (the ``*View`` classes), never ORM rows, and never write money
state: they parse and verify, the core decides and records.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import attrs

OUTCOMES = ("succeeded", "failed", "cancelled", "pending", "duplicate")


@attrs.frozen
class EstablishmentView:
    """The establishment a provider works for; ``base_url`` is the deployment's public address
    (``base_url`` of ``regie.toml``, no trailing slash), for absolute URLs of the plugin's own
    routes (``{base_url}/callbacks/{slug}/{plugin}/…``)."""

    id: int
    slug: str
    name: str
    currency: str
    locale: str
    base_url: str


@attrs.frozen
class PaymentView:
    """What a provider may know about a payment attempt."""

    id: int
    reference: str
    amount: int
    currency: str
    description: str = ""
    payer_email: str = ""
    payer_name: str = ""
    payer_address: dict[str, str] = attrs.Factory(dict)
    #: What the provider said about the payment: the ``details`` of the notification that
    #: confirmed it (refunds and inquiries read their transaction numbers here).
    provider_data: dict[str, Any] = attrs.Factory(dict)
    #: The provider's own reference of the confirmed transaction (Paybox: NUMTRANS).
    provider_reference: str = ""


@attrs.frozen
class ReturnUrls:
    """Absolute URLs of our pages: browser returns, and the server-to-server notification.

    The browser returns show the payer the state the server knows; they never confirm money.
    ``notify`` is the core's generic notification endpoint for the method
    (``/callbacks/<slug>/payments/notify/<method>``): it stores and applies what
    :meth:`OnlineProvider.parse_notification` returns and answers 200 with an empty body. A
    plugin that must answer otherwise (or check more, like an IP allow-list) mounts its own
    callback view, calls :func:`regie.api.receive_notification` there, and sends its own URL.
    """

    succeeded: str
    failed: str
    cancelled: str
    pending: str
    notify: str


@attrs.frozen
class Redirect:
    url: str


@attrs.frozen
class AutoSubmitForm:
    """An HTML form the payer's browser posts to the provider (hashed fields, in order)."""

    action: str
    fields: tuple[tuple[str, str], ...]
    method: str = "POST"


@attrs.frozen
class RawRequest:
    """A provider's HTTP request exactly as received: verify signatures over these bytes."""

    method: str
    query_string: bytes
    body: bytes
    remote_addr: str
    headers: dict[str, str] = attrs.Factory(dict)


@attrs.frozen
class ProviderNotification:
    """A verified statement from the provider about one payment attempt.

    ``event_key`` is unique per event at the provider (for Paybox: reference, transaction
    number and response code), so a delivery received twice is recognised. ``amount``,
    ``currency`` (ISO 4217 alpha) and ``merchant`` are what the provider says; the core checks
    them against the payment and its settings and sends mismatches to review. A success
    without ``amount`` goes to review; ``currency`` and ``merchant`` are checked when given
    (``None``: the provider's message does not state them). ``details`` are kept with the
    payment (``PaymentView.provider_data``) when this notification confirms it.
    """

    event_key: str
    reference: str
    outcome: str = attrs.field(validator=attrs.validators.in_(OUTCOMES))
    amount: int | None = None
    currency: str | None = None
    merchant: str | None = None
    provider_reference: str = ""
    code: str = ""
    reason: str = ""
    details: dict[str, Any] = attrs.Factory(dict)


class InvalidNotification(Exception):
    """A request that is not a genuine provider notification (bad or missing signature,
    malformed fields). The core stores it as rejected, logs the reason, and changes nothing."""


@attrs.frozen
class ProviderResult:
    """Answer of a server-to-server operation (refund, inquiry)."""

    ok: bool
    code: str = ""
    message: str = ""
    provider_reference: str = ""
    details: dict[str, Any] = attrs.Factory(dict)


@runtime_checkable
class OnlineProvider(Protocol):
    def merchant_account(self) -> str:
        """The merchant account the notifications must name (e.g. Paybox ``site/rang``)."""

    def start(self, payment: PaymentView, urls: ReturnUrls) -> Redirect | AutoSubmitForm:
        """Where to send the payer to pay ``payment``."""

    def parse_notification(self, request: RawRequest) -> ProviderNotification:
        """Verify and decode a notification; raise :class:`InvalidNotification` if not genuine."""

    def parse_return(self, request: RawRequest) -> ProviderNotification | None:
        """Decode a browser return, only to show the payer a page: it never moves money."""

    # Optional, when the provider offers them (the core checks with hasattr):
    #   refund(payment: PaymentView, amount: int) -> ProviderResult
    #   inquire(payment: PaymentView) -> ProviderNotification | None


class ManualProvider(Protocol):
    def fields(self) -> list[tuple[str, str, bool]]:
        """Extra fields staff fill in: (name, label, required), e.g. cheque number and bank."""

    def validate(self, values: dict[str, str]) -> dict[str, str]:
        """Field name → error message for values that cannot be accepted."""
