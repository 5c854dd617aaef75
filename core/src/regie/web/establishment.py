"""Pages of one establishment for its members: the home with the modules the user may open
and the dashboard widgets, the logo, and the progress of the establishment's jobs."""

from __future__ import annotations

import logging

from flask import Response, abort, current_app, g, redirect, render_template, url_for
from flask_login import current_user
from markupsafe import Markup

from regie.db.models import Job
from regie.db.tenancy import get_for
from regie.web.context import (
    can,
    current_runtime,
    db_session,
    page_language,
    permissions,
    require_permission,
)
from regie.web.jobs import render_job
from regie.web.mounting import establishment_blueprint

bp = establishment_blueprint("establishment", __name__)
log = logging.getLogger("regie.web")

MANAGE = "establishment.manage"
#: Module lists kept per application before starting again.
MODULES_KEPT = 1024


def modules_for_user() -> list[dict]:
    """The enabled plugins' menu entries the signed-in user may open, in hook order, labels in
    the page's language. Kept by the application per enabled plugins, permissions and
    language (the menu and the home page's cards show them on every page): read-only."""
    if "modules_for_user" not in g:
        locale = page_language()
        key = (tuple(g.enabled_plugins), permissions(), locale)
        kept = current_app.extensions.setdefault("regie_modules", {})
        modules = kept.get(key)
        if modules is None:
            if len(kept) >= MODULES_KEPT:
                kept.clear()
            modules = kept[key] = _modules_for_user(locale)
        g.modules_for_user = modules
    return g.modules_for_user


def _modules_for_user(locale: str) -> list[dict]:
    engine = current_runtime().engine
    texts = _module_texts(locale)
    modules = []
    for entry in engine.entries("regie_blueprints"):
        declared = entry.item
        if (declared.kind != "establishment" or declared.menu_label is None
                or entry.plugin not in g.enabled_plugins):
            continue
        if declared.permission and not can(declared.permission):
            continue
        blueprint = declared.blueprint.name
        label, description = texts.get(blueprint) or texts.setdefault(
            blueprint, (str(declared.menu_label),
                        str(engine.plugins[entry.plugin].info.description or "")))
        modules.append({
            "plugin": entry.plugin,
            "label": label,
            "icon": declared.menu_icon,
            "blueprint": blueprint,
            "endpoint": f"{blueprint}.{declared.menu_endpoint}",
            "description": description,
        })
    return modules


def _module_texts(locale: str) -> dict[str, tuple[str, str]]:
    """Blueprint → (menu label, plugin description) in ``locale``."""
    return _translated("regie_module_texts", locale)


def _translated(store: str, locale: str) -> dict:
    """The application's ``store`` of plugins' lazy strings translated to ``locale``:
    translating them for every page was a tenth of the home page's time."""
    by_locale = current_app.extensions.setdefault(store, {})
    return by_locale.setdefault(locale, {})


@bp.route("/")
def home():
    """Members get the home; a visitor who is not signed in gets the public page an enabled
    plugin offers (``WebBlueprint.landing_endpoint``), else the sign-in page."""
    if not current_user.is_authenticated and (landing := public_landing()):
        return redirect(landing)
    return member_home()


def public_landing() -> str | None:
    for entry in current_runtime().engine.entries("regie_blueprints"):
        declared = entry.item
        if declared.landing_endpoint and entry.plugin in g.enabled_plugins:
            return url_for(f"{declared.blueprint.name}.{declared.landing_endpoint}")
    return None


@require_permission()
def member_home():
    engine = current_runtime().engine
    establishment, user = g.establishment, current_user.user
    widgets = [widget for widget in engine.items("regie_dashboard_widgets",
                                                 enabled=g.enabled_plugins)
               if widget.permission is None or can(widget.permission)]
    widgets.sort(key=lambda widget: widget.position)
    labels = _translated("regie_widget_labels", page_language())
    rendered = [(labels.get(widget.name) or labels.setdefault(widget.name, str(widget.label)),
                 html)
                for widget in widgets
                if (html := _render_widget(widget, establishment, user)) is None or html.strip()]
    return render_template("establishment/home.html", modules=modules_for_user(),
                           widgets=rendered)


def _render_widget(widget, establishment, user) -> Markup | None:
    """The widget's markup (trusted: plugins are code the deployer installed; empty when it
    has nothing to show this user), or ``None`` when it fails, so one broken panel does not
    take the home page down."""
    try:
        return Markup(widget.render(establishment, user))  # noqa: S704
    except Exception:
        log.exception("dashboard widget %r failed", widget.name)
        return None


@bp.route("/logo")
@require_permission()
def logo():
    establishment = g.establishment
    if not establishment.logo:
        abort(404)
    response = Response(establishment.logo, mimetype=establishment.logo_type)
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.route("/jobs/<int:job_id>")
@require_permission()
def job(job_id: int):
    """A job of this establishment, for whoever started it and for its administrators."""
    row = get_for(db_session(), g.establishment, Job, job_id)
    if row is None or (row.user_id != current_user.id and not can(MANAGE)):
        abort(404)
    return render_job(row, back_url=url_for("establishment.home"))
