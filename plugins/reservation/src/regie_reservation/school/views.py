"""The school's pages."""

from flask import Blueprint, render_template

from regie.api import require_permission


def blueprint() -> Blueprint:
    bp = Blueprint("plugin_reservation", __name__, template_folder="../templates")

    @bp.route("/")
    @require_permission("reservation.view")
    def index():
        return render_template("reservation/school/index.html")

    return bp
