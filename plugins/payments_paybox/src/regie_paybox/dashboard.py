"""The last Paybox reconciliation for the establishment's home: a dashboard panel with its
counts (at Paybox only, in Régie only, differing) and a page with the details, for members
who may see payments. The report is the one the run kept in the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from flask import Blueprint, render_template

from regie.api import (
    Establishment,
    Money,
    can,
    current_establishment,
    db_session,
    format_money,
    latest_audit_event,
    require_permission,
)
from regie.api import lazy_gettext as _l
from regie_paybox.operations import PLUGIN, RECONCILIATION

PERMISSION = "payments.view"
SOURCES = {"inquiry": _l("Paybox Direct inquiry of the pending payments"),
           "export": _l("Comparison with the Paybox back-office export")}


@attrs.frozen
class LastRun:
    """A reconciliation as kept in the audit trail."""

    at: dt.datetime
    source: str
    details: dict[str, Any]

    @property
    def source_label(self) -> str:
        return str(SOURCES.get(self.source, self.source))

    def items(self, name: str) -> list[Any]:
        return list(self.details.get(name) or [])

    def count(self, name: str) -> int:
        return len(self.items(name))


def last_run(session, establishment: Establishment) -> LastRun | None:
    event = latest_audit_event(session, establishment, RECONCILIATION)
    if event is None:
        return None
    return LastRun(event.created_at, event.target, dict(event.details or {}))


def widget(establishment: Establishment, user) -> str:
    return render_template("payments_paybox/reconciliation_widget.html",
                           run=last_run(db_session(), establishment),
                           can_compare=can("payments.manage"))


def details():
    establishment = current_establishment()

    def money(amount: int) -> str:
        return format_money(Money(amount, establishment.currency), establishment.locale)

    return render_template("payments_paybox/reconciliation.html",
                           run=last_run(db_session(), establishment), money=money,
                           can_compare=can("payments.manage"))


def reports() -> Blueprint:
    blueprint = Blueprint(f"plugin_{PLUGIN}_reports", __name__, template_folder="templates")
    blueprint.add_url_rule("/reconciliation", "reconciliation",
                           require_permission(PERMISSION)(details))
    return blueprint
