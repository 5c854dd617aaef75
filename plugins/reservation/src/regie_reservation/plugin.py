"""The School canteen plugin: hook implementations."""

from flask import Blueprint, render_template

from regie.api import PluginInfo, Role, WebBlueprint, hookimpl, require_permission
from regie.api import lazy_gettext as _l

plugin_info = PluginInfo(
    label=_l("School canteen"),
    description=_l("Family portal, meal accounts, meal reservations."),
)


def _blueprint() -> Blueprint:
    blueprint = Blueprint("plugin_reservation", __name__, template_folder="templates")

    @blueprint.route("/")
    @require_permission("reservation.view")
    def index():
        return render_template("reservation/index.html")

    return blueprint


@hookimpl
def regie_blueprints():
    return [WebBlueprint(_blueprint(), menu_label=_l("School canteen"), menu_icon="canteen",
                         permission="reservation.view")]


@hookimpl
def regie_roles():
    return [Role("reservation.staff", _l("School canteen: staff"), {"reservation.view"})]
