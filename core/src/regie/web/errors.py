"""Error pages: the same layout as the rest of the site, no stack traces."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from regie.i18n import gettext as _

log = logging.getLogger("regie.web")


def _page(code: int, title: str, message: str):
    return render_template("error.html", code=code, title=title, message=message), code


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _page(400, _("Form expired"), _(
            "The form was missing its security token or it has expired. Go back, reload the "
            "page and submit again: nothing was saved."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            403: (_("Not allowed"), _("Your role does not give access to this page.")),
            404: (_("Page not found"), _("There is no page at this address.")),
        }
        title, message = messages.get(error.code, (error.name, error.description))
        return _page(error.code or 500, title, message)

    @app.errorhandler(Exception)
    def crash(error: Exception):
        log.exception("unhandled error")
        return _page(500, _("Something went wrong"), _(
            "The error was logged. Nothing was half-saved: try again, and tell your "
            "administrator if it happens again."))
