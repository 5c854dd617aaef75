"""Mounting plugin blueprints under ``/<slug>/<plugin>/`` and ``/callbacks/<slug>/<plugin>/``."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, g, session
from flask_wtf.csrf import CSRFProtect

from regie.engine import Engine
from regie.services import establishments
from regie.services.errors import NotFound
from regie.web.context import current_runtime, db_session
from regie.web.links import TemplateLinks
from regie.web.security import is_callback


def load_establishment(slug: str, plugin: str | None = None) -> None:
    """Put the URL's establishment in ``g``; 404 when it does not exist or when ``plugin`` is
    not enabled there.

    For a signed-in user, the same query loads the user and their roles there (Flask-Login's
    user loader then finds the user in the session's identity map). A provider callback gets
    the process's read-only copy (:class:`~regie.services.establishments.Snapshots`)."""
    user_id = signed_in_user_id()
    try:
        if is_callback():
            establishment = current_app.extensions["regie_snapshots"].get(slug)
        elif user_id is None:
            establishment = establishments.by_slug(db_session(), slug)
        else:
            establishment, user, roles = establishments.member_visit(db_session(), slug, user_id)
            if user is not None:
                # Holding the user keeps it in the identity map, which only references weakly.
                g.member_roles = (establishment.id, user, roles)
    except NotFound:
        abort(404)
    enabled = establishments.enabled_plugins(establishment, current_runtime().engine)
    if plugin is not None and plugin not in enabled:
        abort(404)
    g.establishment = establishment
    g.enabled_plugins = enabled
    g.plugin = plugin


def signed_in_user_id() -> int | None:
    """The user id Flask-Login keeps in the session (``None`` for a visitor); Flask-Login still
    decides who the user is."""
    try:
        return int(session["_user_id"])
    except (KeyError, TypeError, ValueError):
        return None


def mount_plugins(app: Flask, engine: Engine, csrf: CSRFProtect) -> None:
    """Register every plugin blueprint, and resolve ``<establishment_slug>`` for all routes
    under an establishment (plugin or core) in one place."""
    app.extensions["regie_snapshots"] = establishments.Snapshots(app.extensions["regie"].db)
    owners: dict[str, str | None] = {name: None for name in ESTABLISHMENT_BLUEPRINTS}
    for entry in engine.entries("regie_blueprints"):
        declared = entry.item
        blueprint: Blueprint = declared.blueprint
        owners[blueprint.name] = entry.plugin
        if declared.kind == "callback":
            csrf.exempt(blueprint)
            prefix = f"/callbacks/<establishment_slug>/{entry.plugin}"
        else:
            prefix = f"/<establishment_slug>/{entry.plugin}"
        app.register_blueprint(blueprint, url_prefix=prefix)

    @app.url_value_preprocessor
    def _pull_slug(endpoint, values):
        if values and "establishment_slug" in values:
            blueprint = (endpoint or "").rpartition(".")[0]
            load_establishment(values.pop("establishment_slug"), owners.get(blueprint))

    @app.url_defaults
    def _push_slug(endpoint, values):
        if "establishment_slug" not in values and g.get("establishment") is not None and (
                app.url_map.is_endpoint_expecting(endpoint, "establishment_slug")):
            values["establishment_slug"] = g.establishment.slug

    app.extensions["regie_links"] = TemplateLinks(app, _push_slug)


#: Core blueprints whose routes live under ``/<establishment_slug>/``.
ESTABLISHMENT_BLUEPRINTS = ("establishment", "establishment_admin", "documents", "mail",
                            "payments", "payments_callbacks")


def establishment_blueprint(name: str, import_name: str, **kwargs) -> Blueprint:
    """A core blueprint whose routes all live under ``/<slug>/``; add its name to
    :data:`ESTABLISHMENT_BLUEPRINTS`."""
    return Blueprint(name, import_name, url_prefix="/<establishment_slug>", **kwargs)
