"""The canteen catalogs: French and Ukrainian translate every message of the portal and school
pages with their placeholders; a French school and a Ukrainian family read their language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import regie_reservation
from tests.plugins.reservation.conftest import post_form

PACKAGE = Path(regie_reservation.__file__).resolve().parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\(\w+\)\w")
SYNC_PARTS = ("sync/", "agent/", "templates/reservation/sync/")
"""The sync helper's files: their strings come as fragments merged separately."""


def catalog(language: str):
    path = PACKAGE / "translations" / language / "LC_MESSAGES" / "messages.po"
    with open(path, "rb") as file:
        return {message.id if isinstance(message.id, str) else message.id[0]: message
                for message in read_po(file, locale=language) if message.id}


def portal_messages() -> set[str]:
    found = set()
    for filename, _line, message, _comments, _context in extract_from_dir(
            str(PACKAGE), [("**.py", "python"), ("**/templates/**.html", "jinja2")],
            keywords=KEYWORDS):
        if not filename.startswith(SYNC_PARTS):
            found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("language", ["fr", "uk"])
def test_the_catalog_translates_every_portal_message_with_its_placeholders(language):
    translated = catalog(language)
    missing = portal_messages() - set(translated)
    assert not missing, "run the commands of translations/README.md"
    for message_id in portal_messages():
        message = translated[message_id]
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated: {message.id!r}"
        for string in strings:
            assert sorted(PLACEHOLDER.findall(ids[-1])) == sorted(PLACEHOLDER.findall(string))


def test_a_french_family_reads_the_portal_in_french(client, make_establishment,
                                                    make_individual, school):
    make_individual(login="lea.martin", password="kamo-12-tibu")
    page = client.get("/college-jean-moulin/reservation/portal/?lang=fr")
    assert "Compte de restauration" in page.get_data(as_text=True)
    wrong = post_form(client, "/college-jean-moulin/reservation/portal/",
                      {"login": "lea.martin", "password": "faux"},
                      action="/college-jean-moulin/reservation/portal/?lang=fr")
    assert "Identifiant ou mot de passe incorrect" in wrong.get_data(as_text=True)
    ukrainian = client.get("/college-jean-moulin/reservation/portal/?lang=uk")
    assert "Рахунок їдальні" in ukrainian.get_data(as_text=True)
