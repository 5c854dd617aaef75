"""What a receipt says, as plain data: :class:`ReceiptData`, the input of every receipt renderer.

Renderers never see ORM rows. A receipt is built once from a payment (see
:mod:`regie.services.documents`), then rendered to any format; reprints are the same data with
``duplicate`` set.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import attrs
from anyascii import anyascii
from babel.dates import format_datetime, get_date_format
from babel.numbers import format_decimal, get_currency_precision

from regie.documents.labels import ReceiptLabels
from regie.services.money import Money

#: Receipt numbers are printed with at least this many digits (``000004``).
NUMBER_DIGITS = 6


@attrs.frozen
class ReceiptLine:
    """One thing paid for. ``amount`` is the line total in minor units (rounded per line);
    ``unit_amount`` is shown when the quantity is not 1."""

    description: str
    amount: int
    quantity: Decimal = attrs.field(default=Decimal(1), converter=Decimal)
    unit_amount: int | None = None

    @property
    def shows_quantity(self) -> bool:
        return self.quantity != 1 and self.unit_amount is not None


@attrs.frozen
class ReceiptData:
    """A receipt, ready to render. Amounts are integers in minor units of ``currency``;
    ``issued_at`` is an aware datetime in the establishment's time zone."""

    establishment_name: str
    receipt_number: int
    issued_at: dt.datetime
    currency: str
    total: int
    payment_method: str
    lines: tuple[ReceiptLine, ...] = attrs.field(default=(), converter=tuple)
    establishment_address: str = ""
    logo: bytes | None = attrs.field(default=None, repr=False)
    locale: str = "fr"
    till_code: str = ""
    cashier: str = ""
    payer: str = ""
    reference: str = ""
    duplicate: bool = False
    labels: ReceiptLabels = attrs.field(default=attrs.Factory(
        lambda self: ReceiptLabels.for_locale(self.locale), takes_self=True))

    def reprint(self) -> ReceiptData:
        """The same receipt marked as a duplicate."""
        return attrs.evolve(self, duplicate=True)

    @property
    def address_lines(self) -> list[str]:
        return [line.strip() for line in self.establishment_address.splitlines() if line.strip()]

    @property
    def number_text(self) -> str:
        return f"{self.receipt_number:0{NUMBER_DIGITS}d}"

    @property
    def date_text(self) -> str:
        """Date and time in the establishment's locale, always with a four-digit year."""
        pattern = re.sub("y+", "y", get_date_format("short", locale=self.locale).pattern)
        return format_datetime(self.issued_at, f"{pattern} HH:mm", tzinfo=self.issued_at.tzinfo,
                               locale=self.locale)

    def money(self, minor: int) -> str:
        """``minor`` units of the receipt's currency, formatted for its locale (``12,50 €``,
        ``240,50 грн``)."""
        return Money(minor, self.currency).format(self.locale)

    def amount(self, minor: int) -> str:
        """``minor`` units as a bare number (``12,50``), for columns under a currency header."""
        money = Money(minor, self.currency)
        digits = get_currency_precision(self.currency)
        pattern = f"#,##0.{'0' * digits}" if digits else "#,##0"
        return format_decimal(money.decimal, pattern, locale=self.locale)

    def quantity(self, value: Decimal) -> str:
        return format_decimal(value, locale=self.locale)

    def filename(self, extension: str = "pdf") -> str:
        """The seed's file name: till code, receipt number, establishment name
        (``C1-000004-BRICO.pdf``), safe on every file system and in mail headers."""
        parts = [safe_name(self.till_code), self.number_text, safe_name(self.establishment_name)]
        stem = "-".join(part for part in parts if part)
        return f"{stem}-DUPLICATA.{extension}" if self.duplicate else f"{stem}.{extension}"


def safe_name(text: str, limit: int = 60) -> str:
    """``text`` as ASCII letters, digits and ``_-``: ``Brico Dépôt`` → ``Brico_Depot``,
    ``Водоканал`` → ``Vodokanal``."""
    ascii_text = anyascii(text)
    cleaned = re.sub(r"[^A-Za-z0-9]+", "_", ascii_text).strip("_")
    return cleaned[:limit].rstrip("_")
