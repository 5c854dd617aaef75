"""The back office's dashboard (seed §1): one panel on the establishment home showing, for the
user's Markets profile, the widgets the administrator placed there, in their order and with
their arguments (:class:`~regie_markets.office_models.WidgetPlacement`; a default layout per
profile until the administrator changes it).

Widgets: SIRENE alerts to process, traders beyond limits (active: 4 criteria, inactive: 2; N per
criterion), the administrator's message, billing statistics by month (table and SVG bar chart),
surcharged tickets of blocked badges.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import attrs
from flask import render_template
from sqlalchemy import func
from sqlalchemy.orm import Session

from regie.api import Establishment, can, db_session, mark_establishment_changed, select_for
from regie.api import lazy_gettext as _l
from regie_markets import billing
from regie_markets.invoicing.treatment import first_of, local_today, next_month
from regie_markets.models import Ticket, Trader
from regie_markets.office_models import Invoice, WidgetPlacement
from regie_markets.sirene.alerts import to_process
from regie_markets.status import add_months, kbis_valid_until

PROFILES = {"admin": _l("Administrator"), "cadre": _l("Cadre"), "regie": _l("Régie"),
            "placier": _l("Placier"), "none": _l("Profile not configured")}


@attrs.frozen
class Widget:
    name: str
    label: Any
    render: Callable[..., str]
    arguments: dict[str, Any] = attrs.Factory(dict)
    """Default arguments, editable by the administrator."""


def profile_of() -> str:
    """The signed-in user's Markets profile, from the permissions their roles give."""
    if can("markets.admin"):
        return "admin"
    if can("markets.block"):
        return "cadre"
    if can("markets.collect"):
        return "regie"
    if can("markets.field"):
        return "placier"
    return "none"


# --- the widgets ----------------------------------------------------------------------------


def sirene(session: Session, place: Establishment, today: dt.date, args: dict) -> str:
    return render_template("markets/office/widgets/sirene.html",
                           count=to_process(session, place))


def message(session: Session, place: Establishment, today: dt.date, args: dict) -> str:
    text = str(billing.settings_of(place).get("dashboard_message") or "").strip()
    return render_template("markets/office/widgets/message.html", text=text) if text else ""


def _arrears_by_trader(session: Session, place: Establishment, today: dt.date,
                       settings: dict) -> dict[int, tuple[int, int]]:
    late_before = today - dt.timedelta(days=int(settings["invoice_arrears_days"]))
    return {trader_id: (int(amount), count) for trader_id, amount, count in session.execute(
        select_for(place, Invoice, Invoice.receipt_date.is_(None),
                   Invoice.issued_on < late_before)
        .with_only_columns(Invoice.trader_id, func.sum(Invoice.amount), func.count())
        .group_by(Invoice.trader_id))}


def beyond_limits(session: Session, place: Establishment, today: dt.date, args: dict, *,
                  active: bool) -> str:
    """The traders furthest beyond the limits, ``per`` of them per criterion."""
    settings = billing.settings_of(place)
    per = int(args.get("per", 3))
    recent = today - dt.timedelta(days=int(settings["active_days"]))
    active_ids = set(session.scalars(select_for(place, Ticket, Ticket.day >= recent)
                                     .with_only_columns(Ticket.trader_id).distinct()))
    traders = [trader for trader in session.scalars(select_for(place, Trader,
                                                               Trader.active.is_(True)))
               if (trader.id in active_ids) == active]
    arrears = _arrears_by_trader(session, place, today, settings)
    scores: dict[str, list[tuple[int, Trader]]] = defaultdict(list)
    for trader in traders:
        amount, count = arrears.get(trader.id, (0, 0))
        if amount > int(settings["arrears_amount_limit"]):
            scores["arrears_amount"].append((amount, trader))
        if count > int(settings["arrears_count_limit"]):
            scores["arrears_count"].append((count, trader))
        if not active:
            continue
        if trader.insurance_until is not None and trader.insurance_until < today:
            scores["insurance"].append(((today - trader.insurance_until).days, trader))
        valid = kbis_valid_until(trader, settings)
        if valid is not None and valid < today:
            scores["kbis"].append(((today - valid).days, trader))
    criteria = ["insurance", "arrears_amount", "arrears_count", "kbis"] if active \
        else ["arrears_amount", "arrears_count"]
    listed = {name: sorted(scores[name], key=lambda item: (-item[0], item[1].number))[:per]
              for name in criteria}
    total = len({trader.id for name in criteria for _score, trader in scores[name]})
    return render_template("markets/office/widgets/limits.html", listed=listed, total=total,
                           active=active, currency=place.currency)


@attrs.frozen
class MonthStats:
    month: dt.date
    invoiced: int
    invoices: int
    unpaid: int
    unpaid_count: int


def billing_stats(session: Session, place: Establishment, today: dt.date, args: dict) -> str:
    months = max(1, min(int(args.get("months", 6)), 36))
    last = first_of(first_of(today) - dt.timedelta(days=1))
    first = add_months(last, -(months - 1))
    rows = {month: (int(invoiced or 0), count, int(unpaid or 0), int(unpaid_count or 0))
            for month, invoiced, count, unpaid, unpaid_count in session.execute(
                select_for(place, Invoice, Invoice.month >= first, Invoice.month <= last)
                .with_only_columns(
                    Invoice.month, func.sum(Invoice.amount), func.count(),
                    func.sum(Invoice.amount).filter(Invoice.receipt_date.is_(None)),
                    func.count().filter(Invoice.receipt_date.is_(None)))
                .group_by(Invoice.month))}
    stats, month = [], first
    while month <= last:
        invoiced, count, unpaid, unpaid_count = rows.get(month, (0, 0, 0, 0))
        stats.append(MonthStats(month, invoiced, count, unpaid, unpaid_count))
        month = next_month(month)
    top = max([item.invoiced for item in stats] + [1])
    return render_template("markets/office/widgets/billing.html", stats=stats, top=top,
                           currency=place.currency)


def blocked_tickets(session: Session, place: Establishment, today: dt.date, args: dict) -> str:
    days = int(args.get("days", 30))
    rows = session.execute(
        select_for(place, Ticket, Ticket.blocking_surcharge.is_(True),
                   Ticket.day >= today - dt.timedelta(days=days))
        .with_only_columns(Trader.id, Trader.number, Trader.legal_name, func.count())
        .select_from(Ticket).join(Trader, Trader.id == Ticket.trader_id)
        .where(Trader.blocked.is_(True))
        .group_by(Trader.id, Trader.number, Trader.legal_name)
        .order_by(func.count().desc())).all()
    return render_template("markets/office/widgets/blocked.html", rows=rows, days=days)


WIDGETS = {widget.name: widget for widget in (
    Widget("sirene", _l("SIRENE alerts to process"), sirene),
    Widget("limits_active", _l("Active traders beyond limits"),
           lambda *a: beyond_limits(*a, active=True), {"per": 3}),
    Widget("limits_inactive", _l("Inactive traders beyond limits"),
           lambda *a: beyond_limits(*a, active=False), {"per": 3}),
    Widget("message", _l("Message from the administrator"), message),
    Widget("billing", _l("Billing statistics"), billing_stats, {"months": 6}),
    Widget("blocked_tickets", _l("Surcharged tickets of blocked badges"), blocked_tickets,
           {"days": 30}),
)}
DEFAULT_LAYOUT = {
    "admin": ["message", "sirene", "billing", "limits_active", "limits_inactive",
              "blocked_tickets"],
    "cadre": ["message", "sirene", "limits_active", "limits_inactive", "blocked_tickets"],
    "regie": ["message", "billing", "limits_active"],
    "placier": ["message"],
    "none": ["message"],
}
PERMISSIONS = {"sirene": "markets.sirene", "billing": "markets.export",
               "limits_active": "markets.view", "limits_inactive": "markets.view",
               "blocked_tickets": "markets.view"}


def layout(session: Session, place: Establishment, profile: str) -> list[tuple[Widget, dict]]:
    """The profile's widgets in order, with their arguments."""
    rows = session.scalars(select_for(place, WidgetPlacement, WidgetPlacement.profile == profile)
                           .order_by(WidgetPlacement.position, WidgetPlacement.id)).all()
    if not rows:
        return [(WIDGETS[name], dict(WIDGETS[name].arguments))
                for name in DEFAULT_LAYOUT[profile]]
    return [(WIDGETS[row.widget], {**WIDGETS[row.widget].arguments, **(row.arguments or {})})
            for row in rows if row.widget in WIDGETS and row.position >= 0]


def dashboard(establishment: Establishment, user) -> str:
    """The core dashboard widget ``markets.office``."""
    session = db_session()
    place = session.get(Establishment, establishment.id)
    today = local_today(place)
    panels = []
    for widget, arguments in layout(session, place, profile_of()):
        permission = PERMISSIONS.get(widget.name)
        if permission and not can(permission):
            continue
        html = widget.render(session, place, today, arguments)
        if html:
            panels.append((widget, html))
    if not panels:
        return ""
    return render_template("markets/office/widgets/dashboard.html", panels=panels)


def save_layout(session: Session, place: Establishment, profile: str,
                entries: list[tuple[str, int, dict]]) -> None:
    """Replace the profile's layout: ``(widget, position, arguments)``; position < 0 hides."""
    for row in session.scalars(select_for(place, WidgetPlacement,
                                          WidgetPlacement.profile == profile)):
        session.delete(row)
    session.flush()
    for name, position, arguments in entries:
        session.add(WidgetPlacement(establishment_id=place.id, profile=profile, widget=name,
                                    position=position, arguments=arguments))
    mark_establishment_changed(place)

