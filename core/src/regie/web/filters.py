"""Jinja filters and globals of every page."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from flask import Flask, g, has_request_context, url_for
from flask_babel import format_datetime, get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

from regie.db.base import utcnow
from regie.i18n import LOCALES
from regie.web.context import can, is_member

#: Each language named in itself, for the language switch.
LANGUAGE_NAMES = {"fr": "Français", "en": "English", "uk": "Українська"}
#: Short labels for narrow places ("UK" would read as the United Kingdom).
LANGUAGE_SHORT = {"fr": "FR", "en": "EN", "uk": "УКР"}
assert set(LANGUAGE_NAMES) == set(LANGUAGE_SHORT) == set(LOCALES)

SPRITE = "vendor/lucide/icons.svg"
#: Icon names plugins use (``WebBlueprint.menu_icon``) → symbol of the vendored Lucide sprite.
ICONS = {
    "grid": "layout-grid",
    "markets": "store",
    "payments": "credit-card",
    "canteen": "utensils",
    "mail": "mail",
    "billpay": "receipt",
    "coop": "sprout",
    "users": "users",
    "settings": "settings",
    "modules": "blocks",
    "audit": "scroll-text",
    "establishment": "building-2",
    "account": "circle-user",
    "admin": "shield-check",
    "home": "house",
    "sign-out": "log-out",
    "language": "languages",
    "menu": "chevron-down",
    "job": "loader",
    "add": "plus",
    "alert": "circle-alert",
}


@functools.cache
def sprite_symbols() -> frozenset[str]:
    """The ids of the symbols in the vendored icon sprite."""
    sprite = Path(__file__).parent / "static" / SPRITE
    return frozenset(re.findall(r'<symbol id="([^"]+)"', sprite.read_text(encoding="utf-8")))


def icon(name: str, label: str | None = None) -> Markup:
    """An SVG icon from the sprite (a Régie name of :data:`ICONS` or a Lucide id in the sprite;
    anything else shows the grid); decorative unless ``label`` is given."""
    sprite_url = g.get("_regie_sprite_url")
    if sprite_url is None:
        sprite_url = g._regie_sprite_url = url_for("static", filename=SPRITE)
    return _icon(sprite_url, name, str(label) if label else None)


@functools.lru_cache(maxsize=1024)
def _icon(sprite_url: str, name: str, label: str | None) -> Markup:
    """The markup of :func:`icon`, built once: pages draw a dozen icons each."""
    symbol = ICONS.get(name, name)
    if symbol not in sprite_symbols():
        symbol = ICONS["grid"]
    aria = (Markup(' role="img" aria-label="{}"').format(label) if label
            else Markup(' aria-hidden="true"'))
    return Markup('<svg class="icon"{}><use href="{}"></use></svg>').format(
        aria, f"{sprite_url}#{symbol}")


def register(app: Flask) -> None:
    app.jinja_env.filters["datetime"] = lambda value, fmt="short": (
        format_datetime(value, fmt) if value else "")
    # Globals rather than context: imported macros see them too.
    app.jinja_env.globals.update(icon=icon, language_names=LANGUAGE_NAMES,
                                 language_short=LANGUAGE_SHORT, now_utc=utcnow)
    app.jinja_env.install_gettext_callables(
        gettext=lambda message: _translations().ugettext(message),
        ngettext=lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        pgettext=lambda context, message: _translations().upgettext(context, message),
        npgettext=lambda context, singular, plural, n: _translations().unpgettext(
            context, singular, plural, n),
        newstyle=True)

    @app.context_processor
    def _globals():
        # A page under an establishment's address where the user has no role (its 404) must
        # not show the establishment's name.
        establishment = g.get("establishment")
        if establishment is not None and not is_member():
            establishment = None
        values = {
            "current_user": current_user._get_current_object(),
            "establishment": establishment,
            "establishment_menu": _establishment_menu if establishment is not None else None,
            "can": can,
            "locales": LOCALES,
            "get_locale": get_locale,
        }
        if has_request_context():
            values["url_for"] = app.extensions["regie_links"].for_request()
            values["gettext"] = _page_gettext(_translations())
        return values


def _translations():
    """The catalog of the page's language, looked up once per request and language: Flask-Babel
    looks it up again for each message (a dozen context-local reads every time)."""
    locale = get_locale()
    if locale is None:
        return get_translations()
    remembered = g.get("_regie_translations")
    if remembered is None or remembered[0] is not locale:
        remembered = g._regie_translations = (locale, get_translations())
    return remembered[1]


def _page_gettext(translations):
    """The page's ``gettext`` (``_`` calls it too) bound to its catalog: Jinja's new-style
    gettext, escaped in HTML and always %-formatted, without a catalog lookup per message."""

    @pass_context
    def gettext(context, message: str, **variables):
        text = translations.ugettext(message)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 (catalogs are trusted, as in Jinja's own gettext)
        return text % variables

    return gettext


def _establishment_menu() -> list[dict]:
    from regie.web.establishment import modules_for_user

    return modules_for_user()
