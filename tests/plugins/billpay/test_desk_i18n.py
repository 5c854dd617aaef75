"""Every message of the desk pages, registers and refusals has its Ukrainian and French
translation, with the same placeholders, in the fragments the plugin catalog is merged from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import regie_billpay

PACKAGE = Path(regie_billpay.__file__).resolve().parent
FRAGMENTS = PACKAGE.parent.parent / "po-desk"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\(\w+\)\w")
DESK_SOURCES = ("certificates.py", "certificates_cli.py", "closing.py", "desk_guard.py",
                "desk_views.py", "fiscal.py", "reports/", "templates/billpay/desk/")


def _desk_messages() -> set[str]:
    return {message if isinstance(message, str) else message[0]
            for where, _line, message, _comments, _context in extract_from_dir(
                str(PACKAGE), [("**.py", "python"), ("**/templates/**.html", "jinja2")],
                keywords=KEYWORDS)
            if where.startswith(DESK_SOURCES)}


@pytest.mark.parametrize("language", ["uk", "fr"])
def test_every_desk_message_is_translated_with_its_placeholders(language):
    with open(FRAGMENTS / f"{language}.po", "rb") as file:
        catalog = {message.id if isinstance(message.id, str) else message.id[0]: message
                   for message in read_po(file, locale=language) if message.id}
    messages = _desk_messages()
    assert len(messages) > 100
    assert messages <= set(catalog), sorted(messages - set(catalog))
    for key in messages:
        message = catalog[key]
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated in {language}: {message.id!r}"
        assert sorted(PLACEHOLDER.findall(ids[-1])) == sorted(PLACEHOLDER.findall(strings[-1]))
