"""The records the agent moves between the back office and the hosted side, and the
conversions of back-office values (amounts, dates, flags) into them."""

from __future__ import annotations

import datetime as dt
import decimal
import functools
from collections.abc import Iterator
from typing import Any, NamedTuple, Protocol

import attrs

from regie.api import gettext as _


class BackOfficeError(Exception):
    """The back office cannot be read or written (unreachable database, missing table or file,
    a value that makes no sense); the run stops, nothing is marked done, the next run
    retries."""


@attrs.frozen
class IndividualRecord:
    external_id: str
    last_name: str
    first_name: str = ""
    kind: str = "pupil"
    class_name: str = ""
    regime: str = ""
    login: str | None = None
    password: str | None = None
    email: str | None = None
    responsible_name: str | None = None
    responsible_email: str | None = None
    balance: int | None = None
    active: bool = True

    @property
    def has_login(self) -> bool:
        return bool((self.login or "").strip())


class PassageRecord(NamedTuple):
    """A meal taken (a tuple: a window has hundreds of thousands of them)."""

    external_id: str
    individual: str
    day: dt.date
    meal: str
    price: int


@attrs.frozen
class PaymentRecord:
    """A web payment pulled from the hosted side, to be recorded in the back office."""

    reference: str
    receipt: int
    individual: str
    amount: int
    day: dt.date
    method: str = ""


@attrs.frozen
class ReservationRecord:
    web_id: int
    individual: str
    day: dt.date
    meal: str
    cancelled: bool


@attrs.frozen
class Written:
    """What writing a payment did: ``recorded``, or ``exists`` (the reference was already
    there, under the back office's number ``number``)."""

    status: str
    number: str = ""


class BackOffice(Protocol):
    def individuals(self, external_ids: set[str] | None = None) -> list[IndividualRecord]: ...

    def passages(self, since: dt.date, individuals: set[str] | None = None
                 ) -> list[PassageRecord]: ...

    def window(self, since: dt.date) -> Iterator[PassageRecord]:
        """The passages since ``since``, those of one individual together, read as they are
        consumed: a push sends its first individuals while the next ones are read."""

    def passage_ids(self, since: dt.date) -> list[str]:
        """The ids of the passages since ``since``, in the same order from one reading to
        the next: cheaper to read than the passages when they are all on the hosted side
        already."""

    def record_payment(self, payment: PaymentRecord) -> Written: ...

    def record_reservation(self, reservation: ReservationRecord) -> str: ...

    def close(self) -> None: ...


def cents(value: Any, money: str) -> int:
    """A back-office amount as integer minor units: ``money`` says whether it is stored in
    cents or in currency units (``12.5`` → 1250). Floats go through their decimal text, so
    ``0.1`` is 10 cents, never 9."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(_("no amount"))
    if isinstance(value, str):
        value = value.strip().replace(" ", "").replace(",", ".")
    try:
        amount = decimal.Decimal(str(value))
    except decimal.InvalidOperation:
        raise ValueError(_("%(value)s is not an amount", value=value)) from None
    if money == "units":
        amount *= 100
    if amount != amount.to_integral_value():
        raise ValueError(_("%(value)s has fractions of a cent", value=value))
    return int(amount)


def from_cents(amount: int, money: str) -> int | decimal.Decimal:
    return decimal.Decimal(amount).scaleb(-2) if money == "units" else amount


def day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    for parse in (dt.date.fromisoformat, lambda t: dt.datetime.strptime(t, "%d/%m/%Y").date(),
                  lambda t: dt.datetime.fromisoformat(t).date()):
        try:
            return parse(text)
        except ValueError:
            continue
    raise ValueError(_("%(value)s is not a date", value=text or "''"))


def flag(value: Any, default: bool = True) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "oui", "o", "y", "vrai")
    return bool(value)


def text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def optional(value: Any) -> str | None:
    value = text(value)
    return value or None


def individual_from(row: dict[str, Any], money: str) -> IndividualRecord:
    """An individual from a back-office row keyed by field name (only the mapped fields)."""
    balance = row.get("balance")
    return IndividualRecord(
        external_id=text(row["external_id"]), last_name=text(row["last_name"]),
        first_name=text(row.get("first_name")),
        kind=_kind(row.get("kind")), class_name=text(row.get("class_name")),
        regime=text(row.get("regime")), login=optional(row.get("login")),
        password=optional(row.get("password")), email=optional(row.get("email")),
        responsible_name=optional(row.get("responsible_name")),
        responsible_email=optional(row.get("responsible_email")),
        balance=None if "balance" not in row or balance is None else cents(balance, money),
        active=flag(row.get("active")))


def _kind(value: Any) -> str:
    kind = text(value).lower()
    if kind in ("staff", "personnel", "commensal", "adulte", "p"):
        return "staff"
    return "pupil"


def passage_from(row: dict[str, Any], money: str) -> PassageRecord:
    return passage(row["external_id"], row["individual"], row["day"], row.get("meal"),
                   row["price"], money)


def passage(external_id: Any, individual: Any, day: Any, meal: Any, price: Any,
            money: str) -> PassageRecord:
    """A passage from the back office's values of its fields (``meal`` may be ``None``)."""
    return PassageRecord(external_id=text(external_id), individual=text(individual),
                         day=_day(day), meal=text(meal) or "lunch", price=_cents(price, money))


_day = functools.lru_cache(maxsize=1024, typed=True)(day)
_cents = functools.lru_cache(maxsize=1024, typed=True)(cents)
""":func:`day` and :func:`cents` for the passages of a window: a few days and prices for
hundreds of thousands of rows."""
