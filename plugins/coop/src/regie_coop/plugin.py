"""The Co-op plugin: hook implementations."""

from regie.api import PluginInfo, Role, Setting, WebBlueprint, hookimpl
from regie.api import lazy_gettext as _l
from regie_coop import accounts, models  # noqa: F401  (models: tables in the metadata)

COORDINATOR = frozenset({"coop.view", "coop.order", "coop.manage"})
MEMBER = frozenset({"coop.view", "coop.order"})

plugin_info = PluginInfo(
    label=_l("Co-op"),
    description=_l("Member accounts, orders and distributions of a producers' co-op."),
    settings=(
        *(Setting(f"method_{code}", label, kind="bool", default=False)
          for code, label in accounts.METHODS.items()),
        Setting("allow_negative_money_pot", _l("Allow negative money pot"), kind="bool",
                default=False, help=_l("Members may order without enough credit and settle "
                                       "later.")),
    ),
    migrations="regie_coop.migrations",
)


@hookimpl
def regie_blueprints():
    from regie_coop.views import blueprint

    return [WebBlueprint(blueprint(), menu_label=_l("Co-op"), menu_icon="coop",
                         permission="coop.view")]


@hookimpl
def regie_roles():
    return [
        Role("coop.coordinator", _l("Co-op: coordinator"), COORDINATOR,
             _l("Manages the group: products, distributions, validation, every account.")),
        Role("coop.member", _l("Co-op: member"), MEMBER,
             _l("Orders and sees their own account.")),
    ]


@hookimpl
def regie_plugin_installed(session, establishment, settings):
    accounts.check_settings(settings)


@hookimpl
def regie_settings_changed_precommit(session, establishment, old, new):
    accounts.check_settings(new)


@hookimpl
def regie_payment_succeeded_precommit(session, payment):
    accounts.confirm_online(session, payment)


@hookimpl
def regie_demo_data(session, establishment):
    from regie_coop.demo import fill

    fill(session, establishment)
