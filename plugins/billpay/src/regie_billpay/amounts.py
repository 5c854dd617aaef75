"""Amounts as the cashier reads and types them (UAH, in kopiyky)."""

from __future__ import annotations

from flask import has_request_context
from flask_babel import get_locale

from regie.api import Money, MoneyError, parse_money


def _locale() -> str:
    locale = get_locale() if has_request_context() else None
    return str(locale) if locale else "uk"


def show(amount: int, currency: str = "UAH") -> str:
    """``1 234,56 грн``."""
    return Money(amount, currency).format(_locale())


def read(text: str, currency: str = "UAH") -> int:
    """Kopiyky of an amount typed by the cashier (``12,50`` or ``12.50``); raises
    :class:`MoneyError` with the reason."""
    money = parse_money(text, currency, _locale())
    if money.amount < 0:
        raise MoneyError(text)
    return money.amount
