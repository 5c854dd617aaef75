"""Exports (seed §6): the stored query of traders by arrears, ticket statistics, the placement
priority lists (PDF printed monthly for when the system is down) and the placements list."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import attrs
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import and_
from sqlalchemy.orm import Session

from regie.api import (
    PDF_FONT,
    PDF_FONT_BOLD,
    Establishment,
    Money,
    User,
    format_money,
    register_pdf_fonts,
    select_for,
)
from regie.api import gettext as _
from regie_markets import billing
from regie_markets.models import Authorisation, Enrolment, Market, Ticket, Trader
from regie_markets.office_models import Invoice, InvoiceLine
from regie_markets.placement import rank_key
from regie_markets.status import add_months


def weekday_names() -> dict[int, str]:
    return {1: _("Monday"), 2: _("Tuesday"), 3: _("Wednesday"), 4: _("Thursday"),
            5: _("Friday"), 6: _("Saturday"), 7: _("Sunday")}


def _money(establishment: Establishment, amount: int) -> str:
    return format_money(Money(amount, establishment.currency), establishment.locale)


# --- stored query: traders by arrears -------------------------------------------------------


def arrears_rows(session: Session, establishment: Establishment,
                 today: dt.date) -> list[list[Any]]:
    """Traders with unpaid invoices, by unpaid amount (largest first): number, legal name,
    amount, count, amount in arrears, and their unpaid invoices in one text cell."""
    settings = billing.settings_of(establishment)
    per_trader: dict[int, list[billing.InvoiceView]] = defaultdict(list)
    traders: dict[int, Trader] = {}
    for invoice, trader in session.execute(
            select_for(establishment, Invoice, Invoice.receipt_date.is_(None))
            .add_columns(Trader).join(Trader, Trader.id == Invoice.trader_id)
            .order_by(Invoice.month, Invoice.number)):
        per_trader[trader.id].append(billing.view_of(invoice, today, settings))
        traders[trader.id] = trader
    rows = []
    for trader_id, views in per_trader.items():
        trader = traders[trader_id]
        late = sum(view.amount for view in views if view.state == billing.ARREARS)
        text = "\n".join(f"{view.number} {_money(establishment, view.amount)} "
                         f"{view.state_label}" for view in views)
        rows.append([trader.number, trader.display_name,
                     sum(view.amount for view in views), len(views), late, text])
    rows.sort(key=lambda row: (-row[2], row[0]))
    return rows


# --- ticket statistics ------------------------------------------------------------------------


@attrs.define
class StatsFilter:
    start: dt.date | None = None
    end: dt.date | None = None
    weekday: int | None = None
    market: str = ""
    placier: str = ""


def ticket_stats(session: Session, establishment: Establishment,
                 wanted: StatsFilter) -> list[list[Any]]:
    """Per month, market, weekday and placier: tickets, amount issued, amount collected
    (invoiced and paid), filtered as asked (market and placier by name, free text)."""
    query = (select_for(establishment, Ticket)
             .with_only_columns(Ticket.day, Market.name, User.username, Ticket.amount,
                                Invoice.receipt_date)
             .join(Market, Market.id == Ticket.market_id)
             .outerjoin(User, User.id == Ticket.placier_id)
             .outerjoin(InvoiceLine, InvoiceLine.ticket_id == Ticket.id)
             .outerjoin(Invoice, and_(Invoice.id == InvoiceLine.invoice_id))
             .order_by(Ticket.day))
    if wanted.start:
        query = query.where(Ticket.day >= wanted.start)
    if wanted.end:
        query = query.where(Ticket.day <= wanted.end)
    if wanted.market:
        query = query.where(Market.name.ilike(f"%{wanted.market}%"))
    if wanted.placier:
        query = query.where(User.username.ilike(f"%{wanted.placier}%"))
    groups: dict[tuple, list[int]] = {}
    for day, market, placier, amount, paid_on in session.execute(
            query.execution_options(yield_per=2000)):
        if wanted.weekday and day.isoweekday() != wanted.weekday:
            continue
        key = (f"{day:%Y-%m}", market, day.isoweekday(), placier or "")
        totals = groups.setdefault(key, [0, 0, 0])
        totals[0] += 1
        totals[1] += amount
        if paid_on is not None:
            totals[2] += amount
    names = weekday_names()
    return [[month, market, names[weekday], placier, count, issued, collected]
            for (month, market, weekday, placier), (count, issued, collected)
            in sorted(groups.items())]


def cents(amount: int) -> str:
    return f"{amount // 100}.{amount % 100:02d}" if amount >= 0 else f"-{cents(-amount)}"


# --- placement priority ---------------------------------------------------------------------


@attrs.frozen
class Priority:
    trader_number: int
    name: str
    attendance: int
    start_date: dt.date | None
    senior: bool


def priority_lists(session: Session, establishment: Establishment, today: dt.date,
                   settings: dict[str, Any]) -> Iterator[tuple[Market, int, list[Priority]]]:
    """For each market and opening weekday: the traders with tickets there in the attendance
    period, ranked as the placement ranks them (assiduous ones by start date, then the others
    by attendance)."""
    months, threshold = int(settings["attendance_months"]), int(settings["seniority_tickets"])
    since = add_months(today, -months)
    counts: Counter = Counter()
    for trader_id, market_id, day in session.execute(
            select_for(establishment, Ticket, Ticket.day >= since, Ticket.day < today)
            .with_only_columns(Ticket.trader_id, Ticket.market_id, Ticket.day)
            .execution_options(yield_per=5000)):
        counts[(market_id, day.isoweekday(), trader_id)] += 1
    starts = {(row.trader_id, row.market_id, row.weekday): row.start_date
              for row in session.scalars(select_for(establishment, Authorisation))}
    traders = {trader.id: trader for trader in session.scalars(
        select_for(establishment, Trader, Trader.id.in_({key[2] for key in counts})))}
    for market in session.scalars(select_for(establishment, Market, Market.active.is_(True))
                                  .order_by(Market.name)):
        for weekday in sorted({int(digit) for digit in market.weekdays if digit.isdigit()}):
            entries = []
            for (market_id, day_of_week, trader_id), attendance in counts.items():
                if market_id != market.id or day_of_week != weekday:
                    continue
                start = starts.get((trader_id, market.id, weekday))
                trader = traders[trader_id]
                entries.append((rank_key(attendance, start, threshold, trader.number),
                                Priority(trader.number, trader.display_name, attendance, start,
                                         start is not None and attendance >= threshold)))
            entries.sort(key=lambda entry: entry[0])
            yield market, weekday, [priority for _key, priority in entries]


def _fit(text: str, width: float) -> str:
    """``text`` cut to ``width`` points in the regular font at 9 points."""
    while text and stringWidth(text, PDF_FONT, 9) > width:
        text = text[:-1]
    return text


def priority_pdf(session: Session, establishment: Establishment, today: dt.date,
                 settings: dict[str, Any]) -> bytes:
    width, height = A4
    buffer = io.BytesIO()
    register_pdf_fonts()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, initialFontName=PDF_FONT)
    title = _("Placement priority on %(date)s", date=today.strftime("%d/%m/%Y"))
    canvas.setTitle(f"{establishment.name} — {title}")
    names = weekday_names()
    pages = 0
    for market, weekday, entries in priority_lists(session, establishment, today, settings):
        pages += 1
        y = height - 50
        canvas.setFont(PDF_FONT_BOLD, 13)
        canvas.drawString(40, y, f"{market.name} — {names[weekday]}")
        canvas.setFont(PDF_FONT, 9)
        canvas.drawRightString(width - 40, y, title)
        y -= 24
        canvas.setFont(PDF_FONT_BOLD, 9)
        for x, label in ((40, _("Rank")), (80, _("Trader")), (360, _("Tickets")),
                         (420, _("Start date"))):
            canvas.drawString(x, y, label)
        canvas.setFont(PDF_FONT, 9)
        for rank, entry in enumerate(entries, start=1):
            y -= 13
            if y < 40:
                canvas.showPage()
                canvas.setFont(PDF_FONT, 9)
                y = height - 50
            canvas.drawString(40, y, str(rank))
            canvas.drawString(80, y, _fit(f"{entry.trader_number} {entry.name}", 270))
            canvas.drawString(360, y, str(entry.attendance))
            canvas.drawString(420, y, entry.start_date.strftime("%d/%m/%Y")
                              if entry.senior and entry.start_date else "")
        canvas.showPage()
    if not pages:
        canvas.setFont(PDF_FONT, 11)
        canvas.drawString(40, height - 50, _("No ticket in the attendance period."))
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def placements(session: Session, establishment: Establishment, *, day: dt.date | None,
               market_id: int | None, limit: int = 500) -> list[tuple[Enrolment, Market]]:
    """Enrolments with the criteria their rank used (attendance, start date), newest first."""
    query = (select_for(establishment, Enrolment).add_columns(Market)
             .join(Market, Market.id == Enrolment.market_id)
             .order_by(Enrolment.day.desc(), Market.name, Enrolment.rank))
    if day:
        query = query.where(Enrolment.day == day)
    if market_id:
        query = query.where(Enrolment.market_id == market_id)
    return [(enrolment, market) for enrolment, market in session.execute(query.limit(limit))]

