"""The Utility bills plugin: hook implementations."""

from regie.api import PluginInfo, Role, Setting, WebBlueprint, hookimpl
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
    ),
    migrations="regie_billpay.migrations",
)


@hookimpl
def regie_blueprints():
    from regie_billpay.cashier import blueprint

    return [WebBlueprint(blueprint(), menu_label=_l("Utility bills"), menu_icon="billpay",
                         permission="billpay.cashier")]


@hookimpl
def regie_roles():
    return [
        Role("billpay.cashier", _l("Utility bills: cashier"), CASHIER,
             _l("Takes payments and cancels them the same day at their desk.")),
        Role("billpay.supervisor", _l("Utility bills: supervisor"), SUPERVISOR,
             _l("Sees the reports of every desk, closes days, imports the centre's files, "
                "manages desks, cashiers and certificates.")),
    ]
