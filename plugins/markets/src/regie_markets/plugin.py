"""The Markets plugin: hook implementations."""

from regie.api import (
    CliCommand,
    DashboardWidget,
    PaymentMethod,
    PluginInfo,
    Role,
    ScheduledTask,
    Setting,
    SyncSource,
    WebBlueprint,
    cached_widget,
    hookimpl,
)
from regie.api import lazy_gettext as _l
from regie_markets import models, office_models  # noqa: F401  (tables in the metadata)

VIEW, FIELD, TRADERS_EDIT, BLOCK = ("markets.view", "markets.field", "markets.traders.edit",
                                    "markets.block")
COLLECT, INVOICE, IMPORT, EXPORT = ("markets.collect", "markets.invoice", "markets.import",
                                    "markets.export")
SIRENE, ADMIN = "markets.sirene", "markets.admin"

PLACIER = frozenset({VIEW, FIELD, IMPORT})
REGIE = frozenset({VIEW, TRADERS_EDIT, COLLECT, INVOICE, IMPORT, EXPORT})
CADRE = frozenset({VIEW, FIELD, TRADERS_EDIT, BLOCK, EXPORT, SIRENE})
ADMIN_ROLE = frozenset({VIEW, FIELD, TRADERS_EDIT, BLOCK, COLLECT, INVOICE, IMPORT, EXPORT,
                        SIRENE, ADMIN})
ROLE_CODES = ("markets.placier", "markets.regie", "markets.cadre", "markets.admin")

plugin_info = PluginInfo(
    label=_l("Markets"),
    description=_l("Traders, placiers, tickets and invoicing of municipal markets."),
    settings=(
        Setting("kbis_validity_months", _l("K-bis: months between two checks"), kind="int",
                default=12),
        Setting("kbis_alert_days", _l("K-bis: alert this many days before the next check"),
                kind="int", default=30),
        Setting("insurance_alert_days", _l("Insurance: alert this many days before its end"),
                kind="int", default=30),
        Setting("arrears_amount_alert", _l("Arrears amount: alert from (cents)"), kind="int",
                default=5000),
        Setting("arrears_amount_limit", _l("Arrears amount: limit (cents)"), kind="int",
                default=20000),
        Setting("arrears_count_alert", _l("Arrears invoices: alert from"), kind="int",
                default=1),
        Setting("arrears_count_limit", _l("Arrears invoices: limit"), kind="int", default=3),
        Setting("attendance_months", _l("Attendance period (months)"), kind="int", default=12),
        Setting("seniority_tickets", _l("Tickets in the period that give a start date"),
                kind="int", default=37),
        Setting("active_days", _l("Active trader: a ticket in the last days"), kind="int",
                default=60),
        Setting("default_metres", _l("Metres prefilled when the trader has no habit"),
                kind="int", default=6),
        Setting("autoclose_seconds", _l("Close validated placier forms after (seconds, 0: "
                                        "never)"), kind="int", default=0),
        Setting("stats_mode", _l("Current market stats widget"), kind="choice",
                default="simple",
                choices=(("simple", _l("Simple: this placier")),
                         ("complete", _l("Complete: all placiers and 30-day average")))),
        Setting("demo_widgets", _l("Show the badge emulation and PC scan widgets"),
                kind="bool", default=False),
        Setting("invoice_reminder_days", _l("Invoices: reminder after (days after issue)"),
                kind="int", default=30),
        Setting("invoice_arrears_days", _l("Invoices: in arrears after (days after issue)"),
                kind="int", default=60),
        Setting("dashboard_message", _l("Message shown on every dashboard"), kind="text",
                default=""),
    ),
    migrations="regie_markets.migrations",
)


@hookimpl
def regie_blueprints():
    from regie_markets import office_views
    from regie_markets.views import blueprint

    return [WebBlueprint(blueprint(), menu_label=_l("Markets"), menu_icon="markets",
                         permission=VIEW),
            WebBlueprint(office_views.blueprint(), menu_label=_l("Markets: back office"),
                         menu_icon="markets", permission=EXPORT)]


@hookimpl
def regie_payment_methods():
    from regie_markets.invoicing.collect import REGIE_METHOD, RegieReceipt

    return [PaymentMethod(REGIE_METHOD, _l("Régie de recettes (receipt number)"), online=False,
                          provider=RegieReceipt)]


@hookimpl
def regie_sync_sources():
    from regie_markets.sirene.alerts import SOURCE_CODE, run_source

    return [SyncSource(SOURCE_CODE, _l("SIRENE register (INSEE)"), run_source,
                       description=_l("StockEtablissement_utf8.csv, StockUniteLegale_utf8.csv "
                                      "or a daily update file: alerts on the traders' SIRETs."))]


@hookimpl
def regie_cli_commands():
    return [CliCommand("markets", "regie_markets.sirene.cli:markets",
                       help="Markets: SIRENE import and other back-office work.")]


@hookimpl
def regie_scheduled_tasks():
    return [ScheduledTask("markets.sirene_pickup", "regie_markets.sirene.pickup:monthly_pickup",
                          "30 4 3 * *",
                          description="Compare the traders with the newest SIRENE stock file "
                                      "dropped in <instance>/sirene/.")]


@hookimpl
def regie_payment_succeeded_precommit(session, payment):
    from regie_markets.invoicing.collect import confirm_online

    confirm_online(session, payment)


@hookimpl
def regie_roles():
    return [
        Role("markets.placier", _l("Markets: placier"), PLACIER,
             _l("Works on the market with a phone: tickets, placement, trader summaries.")),
        Role("markets.regie", _l("Markets: régie"), REGIE,
             _l("Secretariat: trader records, invoicing, payments, imports, exports.")),
        Role("markets.cadre", _l("Markets: cadre"), CADRE,
             _l("Supervises: blocks traders, removes blocking surcharges, SIRENE alerts.")),
        Role("markets.admin", _l("Markets: administrator"), ADMIN_ROLE,
             _l("Everything, including settings and lists.")),
    ]


@hookimpl
def regie_dashboard_widgets():
    from regie_markets.dashboards.widgets import dashboard as office_dashboard
    from regie_markets.field import widgets

    # Counts and statistics may be half a minute old; a new layout or new settings show at
    # once (they change the establishment's version).
    figures = cached_widget(ttl=30)
    # Markup that depends only on the permissions and settings.
    fixed = cached_widget(ttl=3600)
    return [
        DashboardWidget("markets.profile", _l("Markets"), fixed(widgets.profile), position=10),
        DashboardWidget("markets.scan_badge", _l("Scan badge PC"), fixed(widgets.scan_badge),
                        permission=FIELD, position=20),
        DashboardWidget("markets.badge_emulation", _l("Badge emulation"),
                        figures(widgets.badge_emulation), permission=FIELD, position=21),
        DashboardWidget("markets.badge_follow_up", _l("Badges to issue"),
                        figures(widgets.badge_follow_up), permission=TRADERS_EDIT, position=30),
        DashboardWidget("markets.office", _l("Markets back office"), figures(office_dashboard),
                        permission=VIEW, position=15),
    ]


@hookimpl
def regie_demo_data(session, establishment):
    from regie_markets.demo import fill

    fill(session, establishment)
