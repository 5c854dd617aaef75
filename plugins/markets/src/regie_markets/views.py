"""Web pages of Markets: the blueprint and its back-office pages for traders."""

from __future__ import annotations

from flask import Blueprint, render_template

from regie.api import require_permission


def blueprint() -> Blueprint:
    bp = Blueprint("plugin_markets", __name__, template_folder="templates",
                   static_folder="static", static_url_path="/static/markets")

    @bp.route("/")
    @require_permission("markets.view")
    def index():
        return render_template("markets/index.html")

    return bp
