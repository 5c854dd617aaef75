"""The co-op's French catalog: in step with the sources, placeholders kept, used by pages."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import regie_coop

PACKAGE = Path(regie_coop.__file__).resolve().parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\(\w+\)\w")


def french():
    with open(PACKAGE / "translations" / "fr" / "LC_MESSAGES" / "messages.po", "rb") as file:
        return read_po(file, locale="fr")


def test_the_french_catalog_translates_every_message_of_the_sources_with_its_placeholders():
    sources = {message if isinstance(message, str) else message[0]
               for *_where, message, _comments, _context in extract_from_dir(
                   str(PACKAGE), [("**.py", "python"), ("**/templates/**.html", "jinja2")],
                   keywords=KEYWORDS)}
    catalog = {message.id if isinstance(message.id, str) else message.id[0]: message
               for message in french() if message.id}
    assert sources == set(catalog), "run the commands of translations/README.md"
    for message in catalog.values():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated: {message.id!r}"
        assert sorted(PLACEHOLDER.findall(ids[-1])) == sorted(PLACEHOLDER.findall(strings[-1]))


def test_a_french_group_reads_its_pages_in_french(make_establishment, make_user, client):
    place = make_establishment("amap-fr", plugins={"coop": {"method_cheque": True}})
    make_user("coordinatrice", roles={place: ["coop.coordinator"]})
    client.sign_in("coordinatrice", "correct horse battery staple")
    page = client.get("/amap-fr/coop/balances").get_data(as_text=True)
    assert "Solde des adhérents" in page and "Relancer par e-mail" in page
