"""The School canteen plugin: hook implementations."""

from regie.api import (
    CliCommand,
    PaymentMethod,
    PluginInfo,
    Role,
    ScheduledTask,
    Setting,
    SyncSource,
    WebBlueprint,
    hookimpl,
)
from regie.api import lazy_gettext as _l
from regie_reservation import models
from regie_reservation.portal import models as portal_models  # noqa: F401  (tables in the metadata)
from regie_reservation.sync import models as sync_models  # noqa: F401  (tables in the metadata)

VIEW, MANAGE = "reservation.view", "reservation.manage"

plugin_info = PluginInfo(
    label=_l("School canteen"),
    description=_l("Family portal, meal accounts, meal reservations."),
    settings=(
        Setting("reservation_enabled", _l("Meal reservation"), kind="bool", default=False,
                help=_l("Families see a Reservation tab.")),
        Setting("reservation_mode", _l("Reservation mode"), kind="choice",
                default=models.GIVEN_DAY,
                choices=((models.GIVEN_DAY, _l("For a given day")),
                         (models.NEXT_MEAL, _l("For the next meal")))),
        Setting("days_ahead", _l("Reservation possible up to N days ahead"), kind="int",
                default=21),
        Setting("days_before", _l("Reservation must be made N days before the meal"),
                kind="int", default=0,
                help=_l("When set, the closing day and time of the planning are ignored.")),
        Setting("top_up_min", _l("Minimum online top-up (whole currency units)"), kind="int",
                default=5),
        Setting("top_up_max", _l("Maximum online top-up (whole currency units)"), kind="int",
                default=300),
        Setting("web_payments_kept_days", _l("Days web payments stay after the back office "
                                             "has them"), kind="int", default=90,
                help=_l("Web payments the back-office agent has pulled are deleted from the "
                        "site after this many days.")),
    ),
    migrations="regie_reservation.migrations",
)


@hookimpl
def regie_blueprints():
    from regie_reservation.portal.views import blueprint as portal
    from regie_reservation.school.views import blueprint as school
    from regie_reservation.sync import api as sync_api
    from regie_reservation.sync import views as sync_views

    return [
        WebBlueprint(school(), menu_label=_l("School canteen"), menu_icon="canteen",
                     permission=VIEW),
        WebBlueprint(portal(), landing_endpoint="sign_in"),
        WebBlueprint(sync_api.blueprint(), kind="callback"),
        WebBlueprint(sync_views.blueprint(), menu_label=_l("Back-office sync"),
                     menu_icon="canteen", permission=VIEW),
    ]


@hookimpl
def regie_cli_commands():
    return [CliCommand("canteen", "regie_reservation.agent.cli:canteen",
                       help="School canteen: the back-office sync agent.")]


@hookimpl
def regie_scheduled_tasks():
    return [
        ScheduledTask(
            "reservation.forget_failed_sign_ins",
            "regie_reservation.portal.throttle:forget_stale_task", "40 3 * * *",
            description="Forget the family portal's failed sign-ins older than the lockout."),
        ScheduledTask(
            "reservation.prune_web_payments", "regie_reservation.sync.pulls:prune_payments_task",
            "50 3 * * *",
            description="Delete the web payments the back office has had for "
                        "web_payments_kept_days."),
    ]


@hookimpl
def regie_sync_sources():
    from regie_reservation.sync import sources

    return [
        SyncSource(sources.INDIVIDUALS, _l("Back-office export: individuals and balances"),
                   sources.run_individuals,
                   _l("CSV with a header line; balances in currency units.")),
        SyncSource(sources.PASSAGES, _l("Back-office export: passages"), sources.run_passages,
                   _l("CSV with a header line: external_id, individual, day, meal, price.")),
    ]


@hookimpl
def regie_payment_succeeded_precommit(session, payment, runtime):
    from regie_reservation.sync.pulls import record_web_payment
    from regie_reservation.topups import queue_ticket

    record_web_payment(session, payment)
    queue_ticket(session, runtime, payment)


@hookimpl
def regie_roles():
    return [
        Role("reservation.staff", _l("School canteen: staff"), {VIEW},
             _l("Sees individuals, logins, reservations; prints labels and lists.")),
        Role("reservation.admin", _l("School canteen: administrator"), {VIEW, MANAGE},
             _l("Settings, logins, planning, holidays, back-office sync.")),
    ]


@hookimpl
def regie_settings_changed_precommit(new):
    from regie_reservation.settings import check

    check(new)


@hookimpl
def regie_plugin_installed(session, establishment, settings):
    from regie_reservation.settings import check

    check(settings)


@hookimpl
def regie_demo_data(session, establishment):
    from regie_reservation.demo import fill

    fill(session, establishment)


@hookimpl
def regie_payment_methods():
    from regie_reservation.methods import CB_INTERNET, LABEL, CbInternet

    return [PaymentMethod(CB_INTERNET, LABEL, online=False, provider=CbInternet)]


@hookimpl
def regie_mail_placeholders():
    from regie_reservation.letters import mail_placeholders

    return mail_placeholders()
