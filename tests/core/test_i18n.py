"""The core's catalogs: complete in French and Ukrainian, compiled files up to date, and used by
the pages (French by default, Ukrainian and English on request, plugin catalogs loaded)."""

from __future__ import annotations

import io
import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from regie.i18n import LOCALES
from regie.i18n import translation_directories as catalogs
from regie.services import audit
from regie.testing import WebClient
from regie.testing.plugin import PASSWORD
from regie.translations import DIRECTORY, KEYWORDS, METHOD_MAP_FILE, SOURCES
from regie.web import create_app

COMPLETE = ("fr", "uk")


def catalog(locale: str):
    with open(DIRECTORY / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=locale)


def source_messages() -> dict[object, str]:
    """Every message of the core's Python modules and templates → where it is used."""
    with open(METHOD_MAP_FILE, encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = dict(DEFAULT_KEYWORDS) | {keyword: None for keyword in KEYWORDS}
    found = {}
    for filename, line, message, _comments, _context in extract_from_dir(
            SOURCES, method_map, options_map, keywords=keywords):
        found.setdefault(message, f"{filename}:{line}")
    return found


def test_sources_have_messages():
    messages = source_messages()
    assert "Sign in" in messages
    assert ("%(num)d event", "%(num)d events") in messages


@pytest.mark.parametrize("locale", COMPLETE)
def test_every_message_of_the_core_is_translated(locale):
    translated = catalog(locale)
    missing = []
    for message, where in source_messages().items():
        key = message[0] if isinstance(message, tuple) else message
        entry = translated.get(key)
        strings = entry.string if entry else ""
        strings = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(f"{where}: {message!r}")
    assert not missing, (
        f"{len(missing)} message(s) without a {locale} translation (see "
        "regie/translations/__init__.py for the commands):\n" + "\n".join(missing))


@pytest.mark.parametrize("locale", COMPLETE)
def test_translations_keep_the_placeholders(locale):
    for entry in catalog(locale):
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = {part for text in ids for part in _placeholders(text)}
        for text in strings:
            assert _placeholders(text) <= wanted, (locale, entry.id, text)
            if not isinstance(entry.id, tuple):
                assert _placeholders(text) == wanted, (locale, entry.id, text)


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\([a-z_]+\)[sdr]|\{\{.*?\}\}", text))


def _mo_messages(stream) -> dict:
    def frozen(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    return {frozen(message.id): frozen(message.string) for message in read_mo(stream)
            if message.id}


@pytest.mark.parametrize("locale", LOCALES)
def test_committed_mo_files_match_their_po(locale):
    compiled = io.BytesIO()
    write_mo(compiled, catalog(locale))
    compiled.seek(0)
    with open(DIRECTORY / locale / "LC_MESSAGES" / "messages.mo", "rb") as committed:
        assert _mo_messages(committed) == _mo_messages(compiled), (
            f"run: uv run pybabel compile -d {DIRECTORY}")


def _strings(entry) -> tuple[str, ...]:
    return entry.string if isinstance(entry.string, tuple) else (entry.string,)


def test_english_catalog_translates_nothing():
    """English is the language of the source strings: its catalog carries the plural rule only,
    so a page in English shows the messages as written."""
    assert [entry.id for entry in catalog("en") if entry.id and any(_strings(entry))] == []


def test_french_catalog_holds_no_ukrainian():
    cyrillic = re.compile("[\u0400-\u04ff]")
    assert [entry.id for entry in catalog("fr")
            if entry.id and any(cyrillic.search(text) for text in _strings(entry))] == []


def test_plural_forms_follow_the_language():
    assert catalog("uk").num_plurals == 3
    assert catalog("fr").num_plurals == 2


def test_pages_are_french_by_default_and_follow_the_chosen_language(client):
    assert "Se connecter" in client.get("/login").get_data(as_text=True)
    assert "Увійти" in client.get("/login?lang=uk").get_data(as_text=True)
    assert "Sign in" in client.get("/login?lang=en").get_data(as_text=True)


def test_ukrainian_plurals_on_a_page(signed_in, make_user, make_establishment, regie_runtime):
    school = make_establishment(slug="ecole")
    client = signed_in(make_user(roles={school: ["manager"]}))
    with regie_runtime.db.transaction() as session:
        for action, count in (("one", 1), ("few", 3), ("many", 5)):
            for _ in range(count):
                audit.record(session, f"demo.{action}", establishment=school)
    shown = {action: client.get(f"/ecole/admin/audit?lang=uk&action=demo.{action}")
             .get_data(as_text=True) for action in ("one", "few", "many")}
    assert "1 подія" in shown["one"]
    assert "3 події" in shown["few"]
    assert "5 подій" in shown["many"]


def test_plugin_catalogs_are_loaded_after_the_core_ones(regie_runtime, tmp_path, monkeypatch,
                                                        make_establishment, make_user):
    def translation_directories(runtime):
        return catalogs(plugin.module for plugin in runtime.engine.plugins.values())

    assert translation_directories(regie_runtime)[-1] == str(DIRECTORY)
    plugin = regie_runtime.engine.plugins["markets"]
    folder = tmp_path / "regie_markets_copy" / "translations" / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    shipped = Catalog(locale="fr")
    shipped.add("Markets", "Marchés de plein vent")
    shipped.add("Sign out", "Partir")
    with open(folder / "messages.mo", "wb") as mo:
        write_mo(mo, shipped)
    monkeypatch.setattr(plugin.module, "__file__",
                        str(tmp_path / "regie_markets_copy" / "plugin.py"))
    assert str(tmp_path / "regie_markets_copy" / "translations") in translation_directories(
        regie_runtime)

    app = create_app(runtime=regie_runtime)
    app.test_client_class = WebClient
    client = app.test_client()
    school = make_establishment(slug="ecole", plugins=["markets"])
    client.sign_in(make_user(roles={school: ["manager"]}).username, PASSWORD)
    html = client.get("/ecole/").get_data(as_text=True)
    assert "Marchés de plein vent" in html, "the plugin's message is translated"
    assert "Se déconnecter" in html and "Partir" not in html, "the core's own wins"
