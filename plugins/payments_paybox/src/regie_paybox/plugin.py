"""The Paybox plugin: hook implementations."""

from flask import Blueprint, render_template

from regie.api import PluginInfo, WebBlueprint, hookimpl, lazy_gettext as _l, require_permission

plugin_info = PluginInfo(
    label=_l("Paybox"),
    description=_l("Online card payments through Paybox (Verifone)."),
)


def _blueprint() -> Blueprint:
    blueprint = Blueprint("plugin_payments_paybox", __name__, template_folder="templates")

    @blueprint.route("/")
    @require_permission("establishment.manage")
    def index():
        return render_template("payments_paybox/index.html")

    return blueprint


@hookimpl
def regie_blueprints():
    return [WebBlueprint(_blueprint(), menu_label=_l("Paybox"), menu_icon="payments", permission="establishment.manage")]
