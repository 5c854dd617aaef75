"""Jinja filters and globals of every page."""

from __future__ import annotations

from flask import Flask, g
from flask_babel import format_datetime, get_locale
from flask_login import current_user

from regie.i18n import LOCALES
from regie.web.context import can


def register(app: Flask) -> None:
    app.jinja_env.filters["datetime"] = lambda value, fmt="short": (
        format_datetime(value, fmt) if value else "")

    @app.context_processor
    def _globals():
        return {
            "current_user": current_user,
            "establishment": g.get("establishment"),
            "can": can,
            "locales": LOCALES,
            "get_locale": get_locale,
        }
