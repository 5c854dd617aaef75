"""Paybox Direct (PPPS): server-to-server refunds (``TYPE=00014``) and inquiries
(``TYPE=00017``), PROTOCOL §3.

A question is a form-encoded POST; the answer is a form-encoded body whose ``CODEREPONSE`` is
``00000`` when the operation was done. Questions are authenticated with the establishment's
HMAC key (``HASH`` + ``HMAC``), or with the older ``CLE`` when one is configured.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from urllib.parse import parse_qsl, urlencode

import attrs

from regie_paybox.protocol import Account, ascii_text, currency_number, hmac_sign

log = logging.getLogger("regie_paybox.ppps")

VERSION = "00104"
REFUND = "00014"
INQUIRY = "00017"
TIMEOUT = 20.0
#: Answer code of :meth:`Client.ask` when no URL answered.
UNREACHABLE = "PPPS-UNREACHABLE"
#: Answers that say nothing about the payment: the question could not be handled (platform
#: down, connection or timeout trouble, access refused to our credentials).
NO_ANSWER = frozenset({UNREACHABLE, "00001", "00003", "00006", "00097", "00098"})


class Unavailable(Exception):
    """Paybox Direct could not answer the question; the message says why."""

#: ``STATUS`` of an inquiry answer → the core's outcome.
STATUS_OUTCOMES = {
    "autorise": "succeeded", "capture": "succeeded", "rembourse": "succeeded",
    "credit": "succeeded", "refuse": "failed", "rejete": "failed", "annule": "cancelled",
}

Post = Callable[[str, bytes, float], bytes]


class QuestionNumbers:
    """``NUMQUESTION`` values: unique per site and day, 10 digits at most.

    Derived from the time of day in milliseconds × 20 plus a random step, strictly increasing
    within a process; two processes collide only if they ask within the same millisecond and
    draw the same step (1 in 20), which refunds and weekly inquiries make negligible.
    """

    def __init__(self, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)):
        self.clock = clock
        self._lock = threading.Lock()
        self._last = (None, 0)

    def next(self) -> str:
        now = self.clock()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        millis = int((now - midnight).total_seconds() * 1000)
        candidate = millis * 20 + random.randrange(20) + 1  # noqa: S311 - not a secret
        with self._lock:
            day, last = self._last
            if day == now.date():
                candidate = max(candidate, last + 1)
            self._last = (now.date(), candidate)
        return f"{candidate:010d}"


question_numbers = QuestionNumbers()


@attrs.frozen
class Answer:
    code: str
    comment: str = ""
    fields: dict[str, str] = attrs.Factory(dict)

    @property
    def ok(self) -> bool:
        return self.code == "00000"


def decode_form(raw: bytes) -> dict[str, str]:
    """A form-encoded answer; Paybox writes Latin-1, so UTF-8 is tried first and Latin-1 is
    the fallback, for the raw bytes and for the percent escapes alike."""
    try:
        return dict(parse_qsl(raw.decode("utf-8").strip(), keep_blank_values=True,
                              errors="strict"))
    except UnicodeDecodeError:
        return dict(parse_qsl(raw.decode("latin-1").strip(), keep_blank_values=True,
                              encoding="latin-1"))


def http_post(url: str, body: bytes, timeout: float) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an HTTP URL: {url}")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return response.read(65536)


@attrs.frozen
class Client:
    """Asks Paybox Direct questions for one merchant account, trying each URL in turn."""

    account: Account
    urls: Sequence[str]
    cle: str = attrs.field(default="", repr=False)
    post: Post = http_post
    numbers: QuestionNumbers = question_numbers
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    timeout: float = TIMEOUT

    def question(self, kind: str, *, amount: int, currency: str, reference: str,
                 numappel: str = "", numtrans: str = "") -> list[tuple[str, str]]:
        """The fields of a question, in the order they are hashed and sent."""
        fields = [
            ("VERSION", VERSION), ("TYPE", kind),
            ("SITE", self.account.site), ("RANG", self.account.rang),
            ("NUMQUESTION", self.numbers.next()),
            ("MONTANT", f"{amount:010d}"), ("DEVISE", currency_number(currency)),
            ("REFERENCE", reference), ("NUMAPPEL", numappel), ("NUMTRANS", numtrans),
            ("DATEQ", self.clock().strftime("%d%m%Y%H%M%S")),
        ]
        fields = [(name, value) for name, value in fields if value]
        if self.cle:
            return [*fields, ("CLE", self.cle)]
        fields.append(("HASH", self.account.algorithm.upper()))
        return [*fields, ("HMAC", hmac_sign(fields, self.account.hmac_key,
                                            self.account.algorithm))]

    def ask(self, fields: list[tuple[str, str]]) -> Answer:
        """Send a question; an unreachable platform gives an :class:`Answer` with code
        :data:`UNREACHABLE`, never an exception."""
        body = urlencode(fields).encode("ascii")
        problems = []
        for url in self.urls:
            try:
                raw = self.post(url, body, self.timeout)
            except (OSError, ValueError, urllib.error.URLError) as exc:
                log.warning("Paybox Direct at %s did not answer: %s", url, exc)
                problems.append(f"{url}: {exc}")
                continue
            values = decode_form(raw)
            code = values.get("CODEREPONSE", "")
            if not code:
                problems.append(f"{url}: answer without CODEREPONSE")
                continue
            return Answer(code, values.get("COMMENTAIRE", ""), values)
        return Answer(UNREACHABLE, "; ".join(problems) or "no Paybox Direct URL configured")

    def refund(self, *, amount: int, currency: str, reference: str, numappel: str,
               numtrans: str) -> Answer:
        return self.ask(self.question(REFUND, amount=amount, currency=currency,
                                      reference=reference, numappel=numappel, numtrans=numtrans))

    def inquire(self, *, amount: int, currency: str, reference: str, numappel: str = "",
                numtrans: str = "") -> Answer:
        return self.ask(self.question(INQUIRY, amount=amount, currency=currency,
                                      reference=reference, numappel=numappel, numtrans=numtrans))


def status_outcome(status: str) -> str | None:
    """The core outcome of an inquiry's ``STATUS`` (``Capturé`` → ``succeeded``), ``None`` when
    the status says nothing final."""
    return STATUS_OUTCOMES.get(ascii_text(status).lower())
