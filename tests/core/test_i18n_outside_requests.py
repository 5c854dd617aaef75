"""Messages outside web requests: English by default, the language of :func:`in_locale`
inside it (CLI commands, tasks and jobs run in their establishment's language)."""

from __future__ import annotations

from flask import has_app_context

from regie.i18n import gettext, in_locale, lazy_gettext, ngettext


def test_outside_a_request_messages_stay_in_english():
    assert not has_app_context()
    assert gettext("Sign in") == "Sign in"


def test_in_locale_translates_with_the_catalogs():
    with in_locale("fr"):
        assert gettext("Sign in") == "Se connecter"
        with in_locale("uk"):
            assert gettext("Sign in") == "Увійти"
        assert gettext("Sign in") == "Se connecter"
    assert gettext("Sign in") == "Sign in"


def test_variables_and_plurals_follow_the_language():
    with in_locale("fr"):
        assert ngettext("%(num)d event", "%(num)d events", 3) == "3 événements"
        assert gettext("no account %(id)s in this establishment", id=7) == \
            "aucun compte 7 dans cet établissement"


def test_lazy_messages_are_translated_when_shown():
    label = lazy_gettext("Sign in")
    assert str(label) == "Sign in"
    with in_locale("uk"):
        assert str(label) == "Увійти"


def test_a_plugin_catalog_is_used_once_a_runtime_loaded_it(regie_config):
    from regie.runtime import Runtime

    Runtime(regie_config.with_values(plugins=["markets"])).close()
    with in_locale("fr"):
        assert gettext("Markets") == "Marchés"
