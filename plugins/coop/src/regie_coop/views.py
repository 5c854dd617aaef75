"""Web pages of the co-op."""

from flask import Blueprint, render_template

from regie.api import require_permission


def blueprint() -> Blueprint:
    pages = Blueprint("plugin_coop", __name__, template_folder="templates")

    @pages.route("/")
    @require_permission("coop.view")
    def index():
        return render_template("coop/index.html")

    return pages
