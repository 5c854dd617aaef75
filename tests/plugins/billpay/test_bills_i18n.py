"""The cashier's catalog: Ukrainian first, French too, every message of the cashier's sources
translated with its placeholders; a Ukrainian desk reads its pages in Ukrainian."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import regie_billpay

PACKAGE = Path(regie_billpay.__file__).resolve().parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\(\w+\)\w")
CASHIER_SOURCES = ("accruals.py", "amounts.py", "bills.py", "commands.py", "dbf_reader.py",
                   "demo.py", "distribution.py", "imports.py", "prepayment.py", "receipts.py",
                   "search.py", "cashier/", "templates/billpay/_", "templates/billpay/cancel",
                   "templates/billpay/card", "templates/billpay/index", "templates/billpay/new",
                   "templates/billpay/paid", "templates/billpay/prepayment",
                   "templates/billpay/receipt")


def _cashier_messages() -> set[str]:
    return {message if isinstance(message, str) else message[0]
            for where, _line, message, _comments, _context in extract_from_dir(
                str(PACKAGE), [("**.py", "python"), ("**/templates/**.html", "jinja2")],
                keywords=KEYWORDS)
            if where.startswith(CASHIER_SOURCES)}


@pytest.mark.parametrize("language", ["uk", "fr"])
def test_every_cashier_message_is_translated_with_its_placeholders(language):
    with open(PACKAGE / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as file:
        catalog = {message.id if isinstance(message.id, str) else message.id[0]: message
                   for message in read_po(file, locale=language) if message.id}
    messages = _cashier_messages()
    assert len(messages) > 100
    assert messages <= set(catalog), "re-extract the catalog (translations/README.md)"
    for key in messages:
        message = catalog[key]
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated in {language}: {message.id!r}"
        assert sorted(PLACEHOLDER.findall(ids[-1])) == sorted(PLACEHOLDER.findall(strings[-1]))


def test_an_english_cashier_reads_english(cashier_client):
    page = cashier_client.get("/kremenchuk/billpay/new?lang=en").get_data(as_text=True)
    assert "New bill" in page and "All unpaid periods" in page
    page = cashier_client.get("/kremenchuk/billpay/new?lang=uk").get_data(as_text=True)
    assert "Новий рахунок" in page and "За всі неоплачені періоди" in page
