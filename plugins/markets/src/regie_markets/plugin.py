"""The Markets plugin: hook implementations."""

from flask import Blueprint, render_template

from regie.api import PluginInfo, Role, WebBlueprint, hookimpl, require_permission
from regie.api import lazy_gettext as _l

plugin_info = PluginInfo(
    label=_l("Markets"),
    description=_l("Traders, placiers, tickets and invoicing of municipal markets."),
)


def _blueprint() -> Blueprint:
    blueprint = Blueprint("plugin_markets", __name__, template_folder="templates")

    @blueprint.route("/")
    @require_permission("markets.view")
    def index():
        return render_template("markets/index.html")

    return blueprint


@hookimpl
def regie_blueprints():
    return [WebBlueprint(_blueprint(), menu_label=_l("Markets"), menu_icon="markets",
                         permission="markets.view")]


@hookimpl
def regie_roles():
    return [Role("markets.staff", _l("Markets: staff"), {"markets.view"})]
