"""Amounts of money: integer minor units and an ISO 4217 currency, parsed and formatted with Babel.

No float ever touches an amount: text is parsed to :class:`~decimal.Decimal`, checked against the
currency's number of decimals (2 for EUR and UAH, 0 for JPY, 3 for KWD) and scaled to an ``int``.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

import attrs
from babel import UnknownLocaleError
from babel.numbers import (
    format_currency,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)

from regie.i18n import gettext as _

#: Symbols written where the CLDR data differs from local practice: Ukrainian receipts and bank
#: statements write ``1 234,56 грн`` where CLDR has ``₴``.
LOCAL_SYMBOLS: dict[tuple[str, str], str] = {("uk", "UAH"): "грн"}

_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
_APOSTROPHES = "'’"


class MoneyError(ValueError):
    """Text that is not an amount in the expected currency; the message is for the user."""


class CurrencyMismatch(TypeError):
    """Arithmetic or comparison between amounts of two currencies."""


def _check_amount(_instance, _attribute, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"Money amounts are int minor units, not {type(value).__name__}")


def _check_currency(_instance, _attribute, value) -> None:
    if not isinstance(value, str) or not _CURRENCY_RE.match(value):
        raise ValueError(f"'{value}' is not an ISO 4217 alphabetic currency code")


def digits(currency: str) -> int:
    """How many decimals the currency has (``EUR`` 2, ``JPY`` 0, ``KWD`` 3)."""
    return get_currency_precision(currency)


@attrs.frozen(order=False)
class Money:
    """An amount in minor units (cents, kopiykas) of ``currency``.

    Adding, subtracting and comparing need the same currency (:class:`CurrencyMismatch`
    otherwise); multiplying takes an ``int`` (a quantity), so rounding happens per line where
    the caller decides it.
    """

    amount: int = attrs.field(validator=_check_amount)
    currency: str = attrs.field(converter=lambda value: str(value).upper(),
                                validator=_check_currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str, currency: str, locale: str = "fr") -> Money:
        return parse(text, currency, locale)

    @property
    def decimal(self) -> Decimal:
        """The amount in major units (``Decimal('12.50')``), for display and exports."""
        return Decimal(self.amount).scaleb(-digits(self.currency))

    def format(self, locale: str = "fr") -> str:
        return format_money(self, locale)

    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __mul__(self, quantity: int) -> Money:
        _check_amount(None, None, quantity)
        return Money(self.amount * quantity, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def __str__(self) -> str:
        return f"{self.decimal} {self.currency}"


def _language(locale: str) -> str:
    return str(locale).replace("-", "_").split("_")[0]


def format_money(money: Money, locale: str = "fr") -> str:
    """``1 234,56 €`` (fr), ``€1,234.56`` (en), ``1 234,56 грн`` (uk): Babel's CLDR patterns,
    with the currency's own number of decimals."""
    text = format_currency(money.decimal, money.currency, locale=locale, currency_digits=True)
    local = LOCAL_SYMBOLS.get((_language(locale), money.currency))
    if local:
        text = text.replace(get_currency_symbol(money.currency, locale), local)
    return text


def _symbols(currency: str, locale: str) -> list[str]:
    """Ways the currency may be written around an amount, longest first."""
    found = {currency, get_currency_symbol(currency, locale), get_currency_symbol(currency, "en")}
    local = LOCAL_SYMBOLS.get((_language(locale), currency))
    if local:
        found |= {local, f"{local}."}
    return sorted(found, key=len, reverse=True)


def _is_grouped(text: str, group: str) -> bool:
    return re.fullmatch(rf"\d{{1,3}}(?:{re.escape(group)}\d{{3}})+", text) is not None


def _normalise(text: str, decimal_symbol: str, group_symbol: str) -> str:
    """``text`` (digits with ``.`` or ``,``) with ``.`` as the only separator, the decimal one."""
    separators = [char for char in text if char in ".,"]
    if not separators:
        return text
    if len(set(separators)) == 2:
        decimal_mark = text[max(text.rfind("."), text.rfind(","))]
        group_mark = "," if decimal_mark == "." else "."
        whole, _sep, fraction = text.rpartition(decimal_mark)
        if not _is_grouped(whole, group_mark) or not fraction.isdigit():
            raise MoneyError(_("'%(text)s' is not an amount", text=text))
        return f"{whole.replace(group_mark, '')}.{fraction}"
    mark = separators[0]
    if len(separators) > 1 or (mark == group_symbol and mark != decimal_symbol
                               and _is_grouped(text, mark)):
        if not _is_grouped(text, mark):
            raise MoneyError(_("'%(text)s' is not an amount", text=text))
        return text.replace(mark, "")
    return text.replace(mark, ".")


def parse(text: str, currency: str, locale: str = "fr") -> Money:
    """Read an amount typed by a person: ``12,50``, ``12.50``, ``1 234,56 €``, ``-3``.

    The locale decides what a lone ``,`` or ``.`` means when it could be a thousands separator
    (``1,234`` is 1234 in English); a decimal mark is accepted in either form. More decimals
    than the currency has are refused, never rounded.
    """
    currency = currency.upper()
    try:
        decimal_symbol, group_symbol = get_decimal_symbol(locale), get_group_symbol(locale)
    except (UnknownLocaleError, ValueError):
        decimal_symbol, group_symbol = ".", ","
    original = str(text).strip()
    not_an_amount = MoneyError(_("'%(text)s' is not an amount", text=original))
    cleaned = original
    for symbol in _symbols(currency, locale):
        if symbol in cleaned:
            cleaned = cleaned.replace(symbol, " ", 1)
            break
    cleaned = "".join(" " if unicodedata.category(char) == "Zs" or char in _APOSTROPHES else char
                      for char in cleaned).strip()
    sign = ""
    if cleaned[:1] in ("+", "-"):
        sign, cleaned = cleaned[0].replace("+", ""), cleaned[1:].strip()
    groups = cleaned.split()
    if len(groups) > 1 and not re.fullmatch(r"\d{1,3}(?: \d{3})+(?:[.,]\d+)?", " ".join(groups)):
        raise not_an_amount
    cleaned = "".join(groups)
    if not re.fullmatch(r"\d[0-9.,]*|[.,]\d+", cleaned):
        raise not_an_amount
    number = _normalise(cleaned, decimal_symbol, group_symbol)
    try:
        value = Decimal(sign + number)
    except InvalidOperation:
        raise not_an_amount from None
    places = digits(currency)
    if -value.as_tuple().exponent > places:
        raise MoneyError(_("%(currency)s amounts have at most %(places)d decimals",
                           currency=currency, places=places))
    return Money(int(value.scaleb(places)), currency)


__all__ = ["CurrencyMismatch", "Money", "MoneyError", "digits", "format_money", "parse"]
