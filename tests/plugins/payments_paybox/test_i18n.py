"""The plugin's catalogs: complete in French and Ukrainian, in step with the sources, and
used by the pages."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

import regie_paybox

PACKAGE = Path(regie_paybox.__file__).resolve().parent
TRANSLATIONS = PACKAGE / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def catalog(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as file:
        return read_po(file, locale=locale)


def source_messages() -> set:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(PACKAGE), method_map, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_catalogs_hold_every_message_of_the_sources():
    in_catalog = {message.id if isinstance(message.id, str) else message.id[0]
                  for message in catalog("fr") if message.id}
    assert source_messages() == in_catalog, (
        "run the pybabel extract / update / compile commands of the plugin's README")


@pytest.mark.parametrize("locale", ["fr", "uk"])
def test_every_message_is_translated_with_its_placeholders(locale):
    for message in catalog(locale):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        source = message.id if isinstance(message.id, str) else message.id[0]
        assert all(strings), f"{locale}: no translation for {source!r}"
        wanted = set(re.findall(r"%\([a-z_]+\)[sd]", source))
        for string in strings:
            assert set(re.findall(r"%\([a-z_]+\)[sd]", string)) == wanted, string


@pytest.mark.parametrize("locale", ["fr", "uk", "en"])
def test_committed_mo_files_match_their_po(locale):
    compiled = io.BytesIO()
    write_mo(compiled, catalog(locale))
    compiled.seek(0)

    def messages(stream):
        return {str(message.id): message.string for message in read_mo(stream) if message.id}

    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo", "rb") as committed:
        assert messages(committed) == messages(compiled)


def test_the_paybox_page_speaks_french_by_default(signed_in, make_establishment):
    place = make_establishment("ecole-jaures", plugins={"payments_paybox": {}})
    client = signed_in(roles={place: ["manager"]})
    page = html.unescape(client.get("/ecole-jaures/payments_paybox/").get_data(as_text=True))
    assert "Comparer avec le back-office Paybox" in page
    assert "Test : pas d'argent réel" in page
