"""A plugin that implements every hook and answers with its own name.

Tests install this file under several module names: ``regie_echo_alpha`` is the plugin
``alpha`` and registers ``alpha.member``, ``alpha_cash`` …; ``regie_copy_alpha`` registers the
same names again (a duplicate). Event hooks return the plugin's name, so a hook's results show
which plugins it called and in which order, and record what they saw in :data:`events`.
"""

from __future__ import annotations

import click
from flask import Blueprint
from markupsafe import escape

from regie.api import (
    CliCommand,
    DashboardWidget,
    DocumentRenderer,
    MailPlaceholder,
    MailTransport,
    PaymentMethod,
    PluginInfo,
    Role,
    ScheduledTask,
    Setting,
    SyncSource,
    Veto,
    WebBlueprint,
    WebServer,
    current_establishment,
    hookimpl,
    require_permission,
)

NAME = __name__.rpartition("_")[2]
VETOED = "refused"

plugin_info = PluginInfo(
    label=f"Echo {NAME}",
    description=f"Answers every hook as {NAME}.",
    settings=(Setting("greeting", "Greeting", default="hello",
                      help=f"'{VETOED}' is vetoed by regie_settings_changed_precommit"),),
)

#: (hook, details) for every event hook called on this plugin.
events: list[tuple] = []


@click.command(NAME)
def command() -> None:
    """Say which plugin answers."""
    click.echo(f"{NAME} command")


def tick(ctx) -> None:
    events.append(("tick", ctx))


def render_widget(establishment, user) -> str:
    return f"<p>{NAME} widget of {escape(establishment.name)} for {escape(user.username)}</p>"


def _blueprint() -> Blueprint:
    blueprint = Blueprint(f"plugin_{NAME}", __name__)

    @blueprint.route("/")
    @require_permission(f"{NAME}.view")
    def index():
        return f"<h1>{NAME} page of {escape(current_establishment().name)}</h1>"

    return blueprint


# --- registration hooks ---------------------------------------------------------------------


@hookimpl
def regie_roles():
    return [Role(f"{NAME}.member", f"{NAME} member", {f"{NAME}.view"})]


@hookimpl
def regie_blueprints():
    return [WebBlueprint(_blueprint(), menu_label=f"{NAME} module", permission=f"{NAME}.view")]


@hookimpl
def regie_cli_commands():
    return [CliCommand(NAME, f"{__name__}:command", help=f"Commands of {NAME}.")]


@hookimpl
def regie_scheduled_tasks():
    return [ScheduledTask(f"{NAME}.tick", f"{__name__}:tick", "*/5 * * * *")]


@hookimpl
def regie_dashboard_widgets():
    return [DashboardWidget(f"{NAME}.widget", f"{NAME} widget", render_widget)]


@hookimpl
def regie_web_servers():
    return [WebServer(f"{NAME}_server", f"{NAME} server", lambda app, config, bind: None)]


@hookimpl
def regie_mail_placeholders():
    return [MailPlaceholder("receipt", f"{NAME}.total", f"{NAME} total", "12,00 €")]


@hookimpl
def regie_payment_methods():
    return [PaymentMethod(f"{NAME}_cash", f"{NAME} cash", online=False)]


@hookimpl
def regie_mail_transports():
    return [MailTransport(f"{NAME}_mail", f"{NAME} mail", lambda settings: None)]


@hookimpl
def regie_document_renderers():
    return [DocumentRenderer(f"{NAME}_doc", f"{NAME} document",
                             lambda data: (f"{NAME}.txt", "text/plain", NAME.encode()))]


@hookimpl
def regie_sync_sources():
    return [SyncSource(f"{NAME}_sync", f"{NAME} import", lambda *args: None)]


# --- event hooks -----------------------------------------------------------------------------


@hookimpl
def regie_establishment_created_precommit(session, establishment):
    events.append(("created_precommit", establishment.slug))
    return NAME


@hookimpl
def regie_establishment_created_postcommit(establishment_id):
    events.append(("created_postcommit", establishment_id))
    return NAME


@hookimpl
def regie_plugin_installed(session, establishment, settings):
    events.append(("installed", establishment.slug, dict(settings)))
    return NAME


@hookimpl
def regie_plugin_uninstalled(session, establishment):
    events.append(("uninstalled", establishment.slug))
    return NAME


@hookimpl
def regie_settings_changed_precommit(session, establishment, old, new):
    if new.get("greeting") == VETOED:
        raise Veto(f"{NAME} refuses the greeting '{VETOED}'")
    events.append(("settings_changed", establishment.slug, old["greeting"], new["greeting"]))
    return NAME


@hookimpl
def regie_demo_data(session, establishment):
    events.append(("demo_data", establishment.slug))
    return NAME
