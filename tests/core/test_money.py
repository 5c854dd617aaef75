"""Money: integer minor units, parsed and formatted the way people write amounts."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regie.services.money import CurrencyMismatch, Money, MoneyError, format_money, parse

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(("text", "locale", "currency", "amount"), [
    ("12,50", "fr", "EUR", 1250),
    ("12.50", "fr", "EUR", 1250),
    ("1 234,56 €", "fr", "EUR", 123456),
    (f"1{NNBSP}234,56{NBSP}€", "fr", "EUR", 123456),
    ("1.234,56", "fr", "EUR", 123456),
    ("1,234.56", "en", "EUR", 123456),
    ("1,234", "en", "EUR", 123400),
    ("12,50", "en", "EUR", 1250),
    ("€12", "en", "EUR", 1200),
    ("0,5", "fr", "EUR", 50),
    ("-3", "fr", "EUR", -300),
    ("1 234,56 грн", "uk", "UAH", 123456),
    (f"1{NBSP}234,56{NBSP}₴", "uk", "UAH", 123456),
    ("1500", "fr", "JPY", 1500),
    ("1,234", "fr", "KWD", 1234),
])
def test_parse_reads_amounts_as_people_type_them(text, locale, currency, amount):
    assert parse(text, currency, locale) == Money(amount, currency)


@pytest.mark.parametrize(("text", "currency", "message"), [
    ("12,505", "EUR", "at most 2 decimals"),
    ("1,5", "JPY", "at most 0 decimals"),
    ("12 50", "EUR", "not an amount"),
    ("12abc", "EUR", "not an amount"),
    ("1.2.3", "EUR", "not an amount"),
    ("", "EUR", "not an amount"),
    ("1e5", "EUR", "not an amount"),
    ("12 $", "EUR", "not an amount"),
    ("12 € €", "EUR", "not an amount"),
])
def test_parse_refuses_what_is_not_an_amount_instead_of_guessing(text, currency, message):
    with pytest.raises(MoneyError, match=message):
        parse(text, currency, "fr")


def test_format_follows_the_locale_and_the_currency_digits():
    assert format_money(Money(123456, "EUR"), "fr") == f"1{NNBSP}234,56{NBSP}€"
    assert format_money(Money(123456, "EUR"), "en") == "€1,234.56"
    assert format_money(Money(123456, "UAH"), "uk") == f"1{NBSP}234,56{NBSP}грн"
    assert format_money(Money(1500, "JPY"), "fr") == f"1{NNBSP}500{NBSP}JPY"
    assert Money(-5, "EUR").format("fr") == f"-0,05{NBSP}€"


def test_arithmetic_only_between_amounts_of_one_currency():
    ten, three = Money(1000, "EUR"), Money(300, "EUR")
    assert ten + three == Money(1300, "EUR")
    assert ten - three == Money(700, "EUR")
    assert three * 3 == Money(900, "EUR") == 3 * three
    assert -three == Money(-300, "EUR") and abs(-three) == three
    assert three < ten and ten >= three
    with pytest.raises(CurrencyMismatch):
        ten + Money(1, "UAH")
    with pytest.raises(CurrencyMismatch):
        assert ten > Money(1, "UAH")


def test_floats_never_become_money():
    with pytest.raises(TypeError):
        Money(12.5, "EUR")
    with pytest.raises(TypeError):
        Money(1, "EUR") * 1.5
    with pytest.raises(ValueError, match="ISO 4217"):
        Money(1, "EURO")
    assert Money(1250, "eur").currency == "EUR"
    assert Money(1250, "EUR").decimal == Decimal("12.50")


@given(amount=st.integers(min_value=-10**12, max_value=10**12),
       locale=st.sampled_from(["fr", "en", "uk"]),
       currency=st.sampled_from(["EUR", "UAH", "JPY", "KWD"]))
def test_what_is_formatted_parses_back_to_the_same_amount(amount, locale, currency):
    money = Money(amount, currency)
    assert parse(format_money(money, locale), currency, locale) == money
