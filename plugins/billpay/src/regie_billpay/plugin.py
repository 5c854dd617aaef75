"""The Utility bills plugin: hook implementations."""

from regie.api import CliCommand, PluginInfo, Role, Setting, WebBlueprint, hookimpl
from regie.api import lazy_gettext as _l
from regie_billpay import models  # noqa: F401  (models: tables in the metadata)

CASHIER = frozenset({"billpay.cashier"})
SUPERVISOR = frozenset({"billpay.cashier", "billpay.supervisor", "billpay.import"})

plugin_info = PluginInfo(
    label=_l("Utility bills"),
    description=_l("Cashier desks taking utility bill payments."),
    settings=(
        Setting("distribution_order", _l("Lump sum distribution"), kind="choice",
                default="oldest_first",
                choices=(("oldest_first", _l("Oldest debt first")),
                         ("service_priority", _l("Service priority first"))),
                help=_l("How a sum the client gives is spread over the debts.")),
        Setting("require_client_certificate", _l("Require the desk's client certificate"),
                kind="bool", default=True,
                help=_l("Cashier pages open only in a browser holding the certificate of the "
                        "cashier's desk. Switch off only for a demonstration.")),
        Setting("certificate_header", _l("Certificate header set by the TLS proxy"),
                default="",
                help=_l("When nginx verifies client certificates, the header carrying the "
                        "verified certificate (e.g. X-Client-Certificate); empty when gunicorn "
                        "terminates TLS itself.")),
        Setting("certificate_proxies", _l("Addresses of the TLS proxy"),
                default="127.0.0.1, ::1",
                help=_l("The certificate header is believed only from these addresses.")),
    ),
    migrations="regie_billpay.migrations",
    hookspecs="regie_billpay.hookspecs",
)


@hookimpl
def regie_blueprints():
    from regie_billpay import desk_views
    from regie_billpay.cashier import blueprint

    return [WebBlueprint(blueprint(), menu_label=_l("Utility bills"), menu_icon="billpay",
                         permission="billpay.cashier"),
            WebBlueprint(desk_views.blueprint(), menu_label=_l("Desks and reports"),
                         menu_endpoint="reports_page", menu_icon="billpay",
                         permission="billpay.supervisor")]


@hookimpl
def regie_cli_commands():
    return [CliCommand("billpay", "regie_billpay.commands:billpay",
                       help="Utility cashier desks: client certificates, the centre's files.")]


@hookimpl
def regie_sync_sources():
    from regie_billpay.imports import sync_sources

    return sync_sources()


@hookimpl
def regie_roles():
    return [
        Role("billpay.cashier", _l("Utility bills: cashier"), CASHIER,
             _l("Takes payments and cancels them the same day at their desk.")),
        Role("billpay.supervisor", _l("Utility bills: supervisor"), SUPERVISOR,
             _l("Sees the reports of every desk, closes days, imports the centre's files, "
                "manages desks, cashiers and certificates.")),
    ]


@hookimpl
def regie_demo_data(session, establishment, runtime):
    from regie_billpay.demo import fill

    fill(session, establishment, runtime=runtime)
