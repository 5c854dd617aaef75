"""The SMTP mail plugin: hook implementations."""

from flask import Blueprint, render_template

from regie.api import PluginInfo, WebBlueprint, hookimpl, lazy_gettext as _l, require_permission

plugin_info = PluginInfo(
    label=_l("SMTP mail"),
    description=_l("Send mail through an SMTP server."),
)


def _blueprint() -> Blueprint:
    blueprint = Blueprint("plugin_mail_smtp", __name__, template_folder="templates")

    @blueprint.route("/")
    @require_permission("establishment.manage")
    def index():
        return render_template("mail_smtp/index.html")

    return blueprint


@hookimpl
def regie_blueprints():
    return [WebBlueprint(_blueprint(), menu_label=_l("SMTP mail"), menu_icon="mail", permission="establishment.manage")]
