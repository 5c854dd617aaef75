"""The Desktop mail client plugin: hook implementations."""

from flask import Blueprint, render_template

from regie.api import PluginInfo, WebBlueprint, hookimpl, lazy_gettext as _l, require_permission

plugin_info = PluginInfo(
    label=_l("Desktop mail client"),
    description=_l("Hand mail to a desktop mail client as .eml files."),
)


def _blueprint() -> Blueprint:
    blueprint = Blueprint("plugin_mail_mapi_stub", __name__, template_folder="templates")

    @blueprint.route("/")
    @require_permission("establishment.manage")
    def index():
        return render_template("mail_mapi_stub/index.html")

    return blueprint


@hookimpl
def regie_blueprints():
    return [WebBlueprint(_blueprint(), menu_label=_l("Desktop mail client"), menu_icon="mail", permission="establishment.manage")]
