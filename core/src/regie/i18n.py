"""Translation helpers usable with or without a Flask request (CLI, tasks)."""

from __future__ import annotations

from flask import has_request_context
from flask_babel import gettext as _flask_gettext
from flask_babel import lazy_gettext
from flask_babel import ngettext as _flask_ngettext

LOCALES = ("fr", "en", "uk")


def gettext(message: str, **variables) -> str:
    if has_request_context():
        return _flask_gettext(message, **variables)
    return message % variables if variables else message


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    if has_request_context():
        return _flask_ngettext(singular, plural, num, **variables)
    variables.setdefault("num", num)
    return (singular if num == 1 else plural) % variables


__all__ = ["LOCALES", "gettext", "lazy_gettext", "ngettext"]
