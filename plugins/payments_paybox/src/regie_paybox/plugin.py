"""The Paybox plugin: hook implementations."""

from __future__ import annotations

from regie.api import (
    CliCommand,
    DashboardWidget,
    PaymentMethod,
    PluginInfo,
    ScheduledTask,
    Veto,
    WebBlueprint,
    hookimpl,
)
from regie.api import lazy_gettext as _l
from regie_paybox import settings

plugin_info = PluginInfo(
    label=_l("Paybox"),
    description=_l("Online card payments through Paybox (Verifone)."),
    settings=settings.DECLARED,
)

METHOD_CODE = "paybox"
#: Where ``regie paybox simulate`` listens by default: the demo's payments go there.
SIMULATOR = "http://127.0.0.1:8089"


def _provider(settings, establishment=None):
    from regie_paybox.provider import PayboxProvider

    return PayboxProvider(settings, establishment)


def _check(values) -> None:
    problems = settings.problems(values)
    if problems:
        raise Veto(" ".join(problems))


@hookimpl
def regie_payment_methods():
    return [PaymentMethod(METHOD_CODE, _l("Card (Paybox)"), online=True, provider=_provider)]


@hookimpl
def regie_plugin_installed(settings):
    _check(settings)


@hookimpl
def regie_settings_changed_precommit(new):
    _check(new)


@hookimpl
def regie_demo_data(establishment):
    """The demo pays through the local simulator (``regie paybox simulate``), in test mode."""
    for row in establishment.plugins:
        if row.plugin == "payments_paybox":
            row.settings = {**row.settings, "environment": "test", "hosts": SIMULATOR,
                            "ppps_urls": f"{SIMULATOR}/PPPS.php",
                            "fallback_email": "paiements@demo.regie.example"}


@hookimpl
def regie_blueprints():
    from regie_paybox import dashboard, office, views

    return [WebBlueprint(views.callbacks(), kind="callback"),
            WebBlueprint(office.office(), menu_label=_l("Paybox"), menu_icon="payments",
                         permission=office.PERMISSION),
            WebBlueprint(dashboard.reports())]


@hookimpl
def regie_dashboard_widgets():
    from regie_paybox import dashboard

    return [DashboardWidget("payments_paybox.reconciliation", _l("Paybox reconciliation"),
                            dashboard.widget, permission=dashboard.PERMISSION, position=40)]


@hookimpl
def regie_cli_commands():
    return [CliCommand("paybox", "regie_paybox.cli:paybox",
                       help="Paybox tools: simulator, signed notifications, reconciliation.")]


@hookimpl
def regie_scheduled_tasks():
    return [ScheduledTask(
        "payments_paybox.reconcile", "regie_paybox.tasks:reconcile_pending", "30 6 * * 1",
        description="Ask Paybox Direct about payments still pending after an hour and record "
                    "what it says; keep the report.")]
