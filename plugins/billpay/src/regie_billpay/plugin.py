"""The Utility bills plugin: hook implementations."""

from flask import Blueprint, render_template

from regie.api import PluginInfo, Role, WebBlueprint, hookimpl, require_permission
from regie.api import lazy_gettext as _l

plugin_info = PluginInfo(
    label=_l("Utility bills"),
    description=_l("Cashier desks taking utility bill payments."),
)


def _blueprint() -> Blueprint:
    blueprint = Blueprint("plugin_billpay", __name__, template_folder="templates")

    @blueprint.route("/")
    @require_permission("billpay.view")
    def index():
        return render_template("billpay/index.html")

    return blueprint


@hookimpl
def regie_blueprints():
    return [WebBlueprint(_blueprint(), menu_label=_l("Utility bills"), menu_icon="billpay",
                         permission="billpay.view")]


@hookimpl
def regie_roles():
    return [Role("billpay.staff", _l("Utility bills: staff"), {"billpay.view"})]
