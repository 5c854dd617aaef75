"""The trader's summary card shared by the placier's INFO mode, the PLACEMENT and TICKET forms
and the trader's self-service page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from sqlalchemy.orm import Session

from regie.api import Establishment, select_for
from regie_markets import billing, traders
from regie_markets.models import Market, Ticket, Trader
from regie_markets.status import TraderStatus, trader_status


@attrs.frozen
class Summary:
    trader: Trader
    status: TraderStatus
    access_state: str
    tries_left: int
    invoices: list
    unbilled: list[Ticket]
    markets: list[dict[str, Any]]
    attendance: list[dict[str, Any]]
    attendance_months: int


def summary(session: Session, establishment: Establishment, trader: Trader, today: dt.date,
            settings: dict[str, Any], *, frames: bool = True) -> Summary:
    """The card; without ``frames`` only the status (the TICKET and PLACEMENT forms show no
    folded frames), which saves most of the queries."""
    status = trader_status(session, establishment, trader, today, settings)
    months = int(settings["attendance_months"])
    if not frames:
        return Summary(trader=trader, status=status,
                       access_state=traders.access_code_state(trader),
                       tries_left=traders.tries_left(trader), invoices=[], unbilled=[],
                       markets=[], attendance=[], attendance_months=months)
    granted = traders.authorisations(session, establishment, trader)
    markets = []
    for market in session.scalars(select_for(establishment, Market, Market.active.is_(True))
                                  .order_by(Market.name)):
        rows = granted.get(market.id, [])
        markets.append({"market": market, "authorised": bool(rows),
                        "starts": [(row.weekday, row.start_date) for row in rows
                                   if row.weekday and row.start_date]})
    return Summary(
        trader=trader, status=status,
        access_state=traders.access_code_state(trader), tries_left=traders.tries_left(trader),
        invoices=billing.recent_invoices(session, establishment, trader, today),
        unbilled=billing.unbilled_tickets(session, establishment, trader),
        markets=markets,
        attendance=traders.attendance(session, establishment, trader, today, months),
        attendance_months=months)
