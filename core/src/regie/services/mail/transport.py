"""The contract between the outbox and a mail transport plugin.

A plugin declares :class:`regie.api.MailTransport` ``(code, label, factory)``. The core calls
``factory(settings)`` with the plugin's settings in the establishment and uses the returned
object through :class:`Transport`. The core composes every message completely (From, Reply-To,
To, Subject, Date, Message-ID, bodies, attachments): a transport only delivers, and reports per
message what happened, in words a person can act on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from typing import Protocol, runtime_checkable

import attrs


@attrs.frozen
class OutgoingMail:
    """One message to deliver. ``key`` identifies it in the results; ``sender`` and
    ``recipients`` are the envelope (``MAIL FROM`` / ``RCPT TO``)."""

    key: int
    message: EmailMessage
    sender: str
    recipients: tuple[str, ...]


@attrs.frozen
class DeliveryResult:
    """What became of one message.

    ``permanent`` says that sending the same message again would fail the same way (a refused
    recipient, a message too large): the outbox stops retrying it and shows ``error``. Other
    failures (server unreachable, temporary refusals) are retried with backoff. ``refused``
    lists recipients refused while others accepted the message (then ``ok`` is true).
    """

    key: int
    ok: bool
    error: str = ""
    permanent: bool = False
    refused: Mapping[str, str] = attrs.field(factory=dict, converter=dict)

    @classmethod
    def sent(cls, key: int, refused: Mapping[str, str] | None = None) -> DeliveryResult:
        return cls(key, True, refused=refused or {})

    @classmethod
    def failed(cls, key: int, error: str, *, permanent: bool = False) -> DeliveryResult:
        return cls(key, False, error, permanent)


#: The steps a check reports on, in the order a delivery goes through them.
CHECK_STEPS = ("settings", "dns", "connect", "tls", "auth", "sender", "recipient", "message",
               "folder", "delivered")


@attrs.frozen
class CheckResult:
    """The answer to "send a test mail": ``ok``, the ``step`` that failed (or ``delivered``),
    and a ``message`` naming exactly what went wrong and what to fix."""

    ok: bool
    step: str = attrs.field(validator=attrs.validators.in_(CHECK_STEPS))
    message: str


@runtime_checkable
class Transport(Protocol):
    def send(self, mails: Sequence[OutgoingMail]) -> list[DeliveryResult]:
        """Deliver ``mails`` (one connection for the whole batch where the protocol has one)
        and return one result per mail, in any order. A failure that affects the whole batch
        (server unreachable) is reported on every mail; it never raises for a delivery
        problem."""

    def check(self, mail: OutgoingMail) -> CheckResult:
        """Deliver the test ``mail`` and say which step failed, if any."""
