"""Pages of one establishment: its home with the modules the user may open, and its admin
pages (modules and their settings, members and roles, audit log)."""

from __future__ import annotations

from flask import g, render_template
from flask_login import current_user

from regie.web.context import can, current_runtime, require_permission
from regie.web.mounting import establishment_blueprint

bp = establishment_blueprint("establishment", __name__)


def modules_for_user() -> list[dict]:
    """The enabled plugins' menu entries the signed-in user may open, in hook order."""
    engine = current_runtime().engine
    modules = []
    for entry in engine.entries("regie_blueprints"):
        declared = entry.item
        if (declared.kind != "establishment" or declared.menu_label is None
                or entry.plugin not in g.enabled_plugins):
            continue
        if declared.permission and not can(declared.permission):
            continue
        modules.append({
            "plugin": entry.plugin,
            "label": declared.menu_label,
            "icon": declared.menu_icon,
            "endpoint": f"{declared.blueprint.name}.{declared.menu_endpoint}",
            "description": engine.plugins[entry.plugin].info.description,
        })
    return modules


@bp.route("/")
@require_permission()
def home():
    engine = current_runtime().engine
    widgets = [widget for widget in engine.items("regie_dashboard_widgets",
                                                 enabled=g.enabled_plugins)
               if widget.permission is None or can(widget.permission)]
    widgets.sort(key=lambda widget: widget.position)
    rendered = [(widget, widget.render(g.establishment, current_user)) for widget in widgets]
    return render_template("establishment/home.html", modules=modules_for_user(),
                           widgets=rendered)
