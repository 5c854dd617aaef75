"""Translation helpers usable with or without a Flask request (CLI, tasks, jobs).

In a web request the language is the request's (Flask-Babel's selector). Elsewhere messages stay
in English unless the code runs inside :func:`in_locale`, as every per-establishment task and
job does with its establishment's language: a ticket mailed by a worker is in the school's
language, like one sent from a page.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from pathlib import Path

from babel.support import NullTranslations, Translations
from flask import has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _flask_gettext
from flask_babel import ngettext as _flask_ngettext
from flask_babel.speaklater import LazyString

LOCALES = ("fr", "en", "uk")
CORE_CATALOGS = Path(__file__).resolve().parent / "translations"

_forced: ContextVar[str | None] = ContextVar("regie_locale", default=None)
_catalogs: list[str] = [str(CORE_CATALOGS)]


def translation_directories(modules: Iterable) -> list[str]:
    """Where the catalogs are: each plugin module's ``translations`` folder (if it ships one),
    then the core's, which wins when both translate the same message."""
    folders = [Path(module.__file__).resolve().parent / "translations" for module in modules
               if getattr(module, "__file__", None)]
    folders = [folder for folder in dict.fromkeys(folders) if folder.is_dir()]
    return [str(folder) for folder in [*folders, CORE_CATALOGS]]


def use_catalogs(directories: Iterable[str]) -> None:
    """Translate outside requests with the catalogs of ``directories`` (in
    :func:`translation_directories` order) as well; a process may load several runtimes."""
    added = [folder for folder in directories if folder not in _catalogs]
    if added:
        _catalogs[:] = [*added, *_catalogs]
        _translations.cache_clear()


@functools.cache
def _translations(locale: str) -> NullTranslations:
    merged: NullTranslations | None = None
    for folder in _catalogs:
        catalog = Translations.load(folder, [locale])
        if merged is None or not isinstance(merged, Translations):
            merged = catalog
        else:
            merged.merge(catalog)
    return merged or NullTranslations()


@contextlib.contextmanager
def in_locale(locale: str) -> Iterator[None]:
    """Messages (and, in a request, templates) in ``locale`` within the block."""
    token = _forced.set(locale)
    try:
        with force_locale(locale):
            yield
    finally:
        _forced.reset(token)


def gettext(message: str, **variables) -> str:
    if has_request_context():
        return _flask_gettext(message, **variables)
    locale = _forced.get()
    if locale is not None:
        message = _translations(locale).gettext(message)
    return message % variables if variables else message


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    if has_request_context():
        return _flask_ngettext(singular, plural, num, **variables)
    variables.setdefault("num", num)
    locale = _forced.get()
    if locale is not None:
        return _translations(locale).ngettext(singular, plural, num) % variables
    return (singular if num == 1 else plural) % variables


def lazy_gettext(message: str, **variables) -> LazyString:
    """A message translated each time it is shown, in the language of that moment."""
    return LazyString(gettext, message, **variables)


__all__ = ["LOCALES", "gettext", "in_locale", "lazy_gettext", "ngettext"]
