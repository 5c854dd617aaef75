"""The test plugin's hooks."""

from __future__ import annotations

from flask import Blueprint
from markupsafe import escape

from regie.api import (
    PluginInfo,
    Role,
    WebBlueprint,
    current_establishment,
    db_session,
    hookimpl,
    require_permission,
    select_for,
)
from regie_testplugin.models import Note

plugin_info = PluginInfo(label="Notes", description="Notes kept per establishment.",
                         migrations="regie_testplugin.migrations")


def _blueprint() -> Blueprint:
    blueprint = Blueprint("plugin_testplugin", __name__)

    @blueprint.route("/")
    @require_permission("testplugin.read")
    def index():
        notes = db_session().scalars(select_for(current_establishment(), Note)
                                     .order_by(Note.id)).all()
        return "".join(f"<p>{escape(note.text)}</p>" for note in notes)

    return blueprint


@hookimpl
def regie_roles():
    return [Role("testplugin.reader", "Notes: reader", {"testplugin.read"})]


@hookimpl
def regie_blueprints():
    return [WebBlueprint(_blueprint(), menu_label="Notes", permission="testplugin.read")]


@hookimpl
def regie_plugin_installed(session, establishment, settings):
    """Runs in the enabling transaction: the welcome note is there or nothing is."""
    session.add(Note(establishment_id=establishment.id, text=f"Welcome to {establishment.name}"))
