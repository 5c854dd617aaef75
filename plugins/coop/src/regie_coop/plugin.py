"""The Co-op plugin: hook implementations."""

from flask import Blueprint, render_template

from regie.api import PluginInfo, Role, WebBlueprint, hookimpl, require_permission
from regie.api import lazy_gettext as _l

plugin_info = PluginInfo(
    label=_l("Co-op"),
    description=_l("Member accounts, orders and distributions of a producers' co-op."),
)


def _blueprint() -> Blueprint:
    blueprint = Blueprint("plugin_coop", __name__, template_folder="templates")

    @blueprint.route("/")
    @require_permission("coop.view")
    def index():
        return render_template("coop/index.html")

    return blueprint


@hookimpl
def regie_blueprints():
    return [WebBlueprint(_blueprint(), menu_label=_l("Co-op"), menu_icon="coop",
                         permission="coop.view")]


@hookimpl
def regie_roles():
    return [Role("coop.staff", _l("Co-op: staff"), {"coop.view"})]
