"""The monthly invoicing treatment: one invoice per trader from the month's tickets, each posted
as a debt on the trader's ledger account, and the two PDFs of the month.

All of a month is written in one transaction: a run that stops midway (error, crash, killed
worker) leaves no invoice, no ledger entry and no PDF, and can be started again. The run's row
is locked first, so two workers never invoice a month twice, and a month that was invoiced is
refused.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import attrs
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from regie.api import (
    Establishment,
    Invalid,
    Posting,
    TaskContext,
    Veto,
    get_for,
    lock,
    open_accounts,
    post_entries,
    select_for,
    start_job,
    utcnow,
)
from regie.api import gettext as _
from regie_markets.billing import settings_of
from regie_markets.invoicing.pdf import InvoiceBook, InvoiceData, Issuer, Line, write_index
from regie_markets.models import ACCOUNT_KIND, Market, Ticket, Trader, display_name
from regie_markets.office_models import (
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    Invoice,
    InvoiceLine,
    InvoicingRun,
)

JOB_TARGET = "regie_markets.invoicing.treatment:invoice_month"
ENTRY_KIND = "markets.invoice"
#: Traders whose tickets are read (and invoice lines written) at once.
TRADER_BATCH = 500
#: Debts posted to the ledger at once (their entries are not all held until the end).
POSTING_BATCH = 500
ABANDONED_AFTER = dt.timedelta(hours=2)


def local_today(establishment: Establishment) -> dt.date:
    return utcnow().astimezone(zoneinfo.ZoneInfo(establishment.timezone)).date()


def first_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def last_month(today: dt.date) -> dt.date:
    """The default month to invoice: the one that just ended."""
    return first_of(first_of(today) - dt.timedelta(days=1))


def parse_month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise Invalid({"month": _("give the month as YYYY-MM (for example 2026-10)")}) from None


def month_tickets(establishment: Establishment, month: dt.date):
    return select_for(establishment, Ticket, Ticket.day >= month,
                      Ticket.day < next_month(month))


def check_month(session: Session, establishment: Establishment, month: dt.date,
                today: dt.date) -> int:
    """The number of tickets to invoice in ``month``; :class:`Invalid` for a month that is not
    over, that was invoiced, or that has no ticket."""
    if next_month(month) > today:
        raise Invalid({"month": _("%(month)s is not over yet: invoice a month once it has ended",
                                  month=f"{month:%Y-%m}")})
    run = session.scalar(select_for(establishment, InvoicingRun, InvoicingRun.month == month))
    if run is not None and run.state == DONE:
        raise Invalid({"month": _("%(month)s was already invoiced (%(count)s invoices)",
                                  month=f"{month:%Y-%m}", count=run.invoice_count)})
    count = session.scalar(month_tickets(establishment, month)
                           .with_only_columns(func.count(Ticket.id)))
    if not count:
        raise Invalid({"month": _("%(month)s has no ticket to invoice", month=f"{month:%Y-%m}")})
    return count


def prepare_run(session: Session, establishment: Establishment, month: dt.date, *,
                today: dt.date, actor: str) -> InvoicingRun:
    """The run of ``month``, created or (after a failure) made ready again, after the checks."""
    tickets = check_month(session, establishment, month, today)
    run = session.scalar(lock(select_for(establishment, InvoicingRun,
                                         InvoicingRun.month == month)))
    if run is None:
        run = InvoicingRun(establishment_id=establishment.id, month=month, created_by=actor)
        session.add(run)
    elif run.state in (QUEUED, RUNNING) and not _abandoned(run):
        raise Veto(_("the invoicing of %(month)s is already under way",
                     month=f"{month:%Y-%m}"))
    run.state, run.message, run.ticket_count = QUEUED, "", tickets
    session.flush()
    return run


def _abandoned(run: InvoicingRun) -> bool:
    """A run left queued or running by a worker that died (its transaction was rolled back, so
    it wrote nothing) may be started again."""
    return utcnow() - (run.started_at or run.created_at) > ABANDONED_AFTER


def start(runtime, establishment: Establishment, month: dt.date, *, user=None,
          today: dt.date | None = None) -> int:
    """Check the month, record its run (committed) and queue the job; return the run's id."""
    actor = user.username if user is not None else "system"
    with runtime.db.transaction() as session:
        place = session.get(Establishment, establishment.id)
        run_id = prepare_run(session, place, month, today=today or local_today(place),
                             actor=actor).id
    job_id = start_job(runtime, JOB_TARGET, label=_("Invoicing of %(month)s",
                                                    month=f"{month:%Y-%m}"),
                       establishment=establishment, user=user, run_id=run_id, actor=actor)
    with runtime.db.transaction() as session:
        session.get(InvoicingRun, run_id).job_id = job_id
    return run_id


def files_folder(runtime, establishment_id: int) -> Path:
    folder = Path(runtime.config.instance) / "markets" / str(establishment_id) / "invoicing"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def resolve_file(runtime, relative: str) -> Path:
    return Path(runtime.config.instance) / relative


def invoice_month(ctx: TaskContext, run_id: int, actor: str = "system") -> dict:
    """The job: invoice the run's month (see the module's docstring)."""
    started = time.monotonic()
    establishment_id = ctx.establishment.id
    with ctx.db.transaction() as session:
        run = session.get(InvoicingRun, run_id)
        if run is None or run.establishment_id != establishment_id or run.state == DONE:
            return {}
        run.state, run.started_at, run.message = RUNNING, utcnow(), ""
    try:
        with ctx.db.transaction() as session:
            result = _invoice(ctx, session, run_id, actor, started)
    except Exception as exc:
        with ctx.db.transaction() as session:
            run = session.get(InvoicingRun, run_id)
            if run.state != DONE:
                run.state, run.finished_at = FAILED, utcnow()
                run.message = f"{type(exc).__name__}: {exc}"[:2000]
        raise
    return result


def _invoice(ctx: TaskContext, session: Session, run_id: int, actor: str,
             started: float) -> dict:
    run = session.scalar(lock(select(InvoicingRun).where(InvoicingRun.id == run_id))
                         .execution_options(populate_existing=True))
    if run.state == DONE:
        return {}
    establishment = session.get(Establishment, run.establishment_id)
    settings = settings_of(establishment)
    issued = local_today(establishment)
    due = issued + dt.timedelta(days=int(settings["invoice_reminder_days"]))
    invoices = _plan(session, establishment, run, issued)
    if not invoices:
        raise Invalid({"month": _("%(month)s has no ticket to invoice",
                                  month=f"{run.month:%Y-%m}")})
    # SQLite has one writer: progress rows cannot be written while this transaction holds it.
    progress = ctx.progress if session.get_bind().dialect.name != "sqlite" else None
    if progress is not None:
        progress.advance(0, message=_("Invoicing %(count)s traders", count=len(invoices)),
                         total=len(invoices))
    folder = files_folder(ctx.runtime, establishment.id)
    stem = f"{run.month:%Y-%m}"
    book_path, index_path = folder / f"{stem}.invoices.pdf", folder / f"{stem}.index.pdf"
    partial = [book_path.with_suffix(".part"), index_path.with_suffix(".part")]
    issuer = Issuer(establishment.name, establishment.address, establishment.locale,
                    establishment.currency)
    title = _("Invoices of %(month)s", month=f"{run.month:%m/%Y}")
    try:
        book = InvoiceBook(partial[0], issuer, f"{establishment.name} — {title}")
        accounts = open_accounts(
            session, establishment, kind=ACCOUNT_KIND, actor=actor,
            owners=[(str(item.trader_number), f"{item.trader_number} {item.legal_name}")
                    for item in invoices])
        markets: list[list] = []
        postings: list[Posting] = []
        entry_ids: list[int] = []
        tickets = 0
        for done, (invoice, lines) in enumerate(
                _with_lines(session, establishment, run, invoices), start=1):
            data = InvoiceData(
                number=invoice.number, month=run.month, issued_on=issued, due_on=due,
                trader_number=invoice.trader_number, legal_name=invoice.legal_name,
                address=invoice.address, siret=invoice.siret, market=invoice.market_name,
                amount=invoice.amount, lines=lines)
            book.add(data)
            if not markets or markets[-1][0] != invoice.market_name:
                markets.append([invoice.market_name, 0, invoice.first_page, 0])
            markets[-1][1] += 1
            markets[-1][3] = invoice.first_page + 1
            tickets += len(lines)
            postings.append(Posting(accounts[str(invoice.trader_number)], -invoice.amount,
                                    ENTRY_KIND, _("Invoice %(number)s", number=invoice.number),
                                    actor))
            if len(postings) == POSTING_BATCH:
                entry_ids.extend(post_entries(session, postings))
                postings.clear()
            if progress is not None and done % 100 == 0:
                progress.advance(done)
        entry_ids.extend(post_entries(session, postings))
        book.close()
        write_index(partial[1], issuer, f"{establishment.name} — {title}",
                    [tuple(entry) for entry in markets])
        os.replace(partial[0], book_path)
        os.replace(partial[1], index_path)
    except BaseException:
        for path in partial:
            path.unlink(missing_ok=True)
        raise
    session.execute(update(Invoice), [
        {"id": invoice.invoice_id, "entry_id": entry_id}
        for invoice, entry_id in zip(invoices, entry_ids, strict=True)])
    instance = Path(ctx.runtime.config.instance)
    run.state, run.finished_at = DONE, utcnow()
    run.invoice_count, run.ticket_count = len(invoices), tickets
    run.total_amount = sum(invoice.amount for invoice in invoices)
    run.invoices_file = str(book_path.relative_to(instance))
    run.index_file = str(index_path.relative_to(instance))
    run.page_index = markets
    run.duration_ms = int((time.monotonic() - started) * 1000)
    run.message = _("%(count)s invoices", count=len(invoices))
    if progress is not None:
        progress.advance(len(invoices))
    return {"invoices": len(invoices), "tickets": tickets, "amount": run.total_amount}


@attrs.frozen
class _Planned:
    """An invoice made (its row is written): what the PDF and the ledger need of it."""

    invoice_id: int
    trader_id: int
    number: str
    first_page: int
    trader_number: int
    legal_name: str
    address: str
    siret: str
    market_name: str
    amount: int


def _plan(session: Session, establishment: Establishment, run: InvoicingRun,
          issued: dt.date) -> list[_Planned]:
    """One invoice per trader with tickets in the month, numbered in the order of the PDF:
    by distribution market (where the trader had most tickets), then legal name. The invoice
    rows are written at once; they are not kept as ORM objects (a month has thousands)."""
    subquery = month_tickets(establishment, run.month).subquery()
    counts = session.execute(
        select(subquery.c.trader_id, subquery.c.market_id, func.count(), func.sum(
            subquery.c.amount)).group_by(subquery.c.trader_id, subquery.c.market_id))
    per_market: dict[int, Counter] = defaultdict(Counter)
    amounts: Counter = Counter()
    for trader_id, market_id, count, amount in counts:
        per_market[trader_id][market_id] = count
        amounts[trader_id] += int(amount or 0)
    if not per_market:
        return []
    market_names = dict(session.execute(select_for(establishment, Market)
                                        .with_only_columns(Market.id, Market.name)).all())
    traders = {trader.id: trader for trader in session.execute(
        select_for(establishment, Trader, Trader.id.in_(list(per_market))).with_only_columns(
            Trader.id, Trader.number, Trader.legal_name, Trader.last_name, Trader.first_name,
            Trader.address, Trader.postcode, Trader.city, Trader.siret))}
    names = {trader_id: display_name(trader.legal_name, trader.last_name, trader.first_name)
             for trader_id, trader in traders.items()}

    def distribution(trader_id: int) -> int:
        return min(per_market[trader_id].items(),
                   key=lambda item: (-item[1], market_names.get(item[0], "")))[0]

    order = sorted(per_market, key=lambda trader_id: (
        market_names.get(distribution(trader_id), ""), distribution(trader_id),
        names[trader_id].lower(), traders[trader_id].number))
    rows = []
    width = max(4, len(str(len(order))))
    for rank, trader_id in enumerate(order, start=1):
        trader = traders[trader_id]
        market_id = distribution(trader_id)
        rows.append({
            "establishment_id": establishment.id, "run_id": run.id, "trader_id": trader_id,
            "number": f"{run.month:%Y-%m}-{rank:0{width}d}", "month": run.month,
            "issued_on": issued, "market_id": market_id,
            "market_name": market_names.get(market_id, ""), "trader_number": trader.number,
            "legal_name": names[trader_id],
            "address": "\n".join(part for part in (
                trader.address, f"{trader.postcode} {trader.city}".strip()) if part),
            "amount": amounts[trader_id], "ticket_count": sum(per_market[trader_id].values()),
            "first_page": 2 * rank - 1})
    ids = session.scalars(insert(Invoice).returning(Invoice.id, sort_by_parameter_order=True),
                          rows).all()
    return [_Planned(invoice_id, row["trader_id"], row["number"], row["first_page"],
                     row["trader_number"], row["legal_name"], row["address"],
                     traders[row["trader_id"]].siret or "", row["market_name"], row["amount"])
            for invoice_id, row in zip(ids, rows, strict=True)]


def tariff_label(demonstrator: bool, badge: bool, blocking: bool) -> str:
    label = "démo" if demonstrator else "std"
    return label + "+" * (int(badge) + int(blocking))


def _with_lines(session: Session, establishment: Establishment, run: InvoicingRun,
                planned: list[_Planned]) -> Iterator[tuple[_Planned, list[Line]]]:
    """Each planned invoice with its ticket lines, in PDF order, the tickets read and the
    invoice lines written for TRADER_BATCH traders at a time: a few queries for a month, and
    none joins the invoices just written (PostgreSQL has no statistics on them yet and chose
    a nested loop over every ticket of the establishment)."""
    market_names = dict(session.execute(select_for(establishment, Market)
                                        .with_only_columns(Market.id, Market.name)).all())
    for start in range(0, len(planned), TRADER_BATCH):
        chunk = planned[start:start + TRADER_BATCH]
        lines: dict[int, list[Line]] = {item.trader_id: [] for item in chunk}
        rows: dict[int, list[dict]] = {item.trader_id: [] for item in chunk}
        invoice_ids = {item.trader_id: item.invoice_id for item in chunk}
        for ticket in session.execute(
                month_tickets(establishment, run.month)
                .with_only_columns(Ticket.trader_id, Ticket.id, Ticket.market_id, Ticket.day,
                                   Ticket.metres, Ticket.demonstrator, Ticket.badge_surcharge,
                                   Ticket.blocking_surcharge, Ticket.amount)
                .where(Ticket.trader_id.in_(list(lines)))
                .order_by(Ticket.day, Ticket.id)):
            market = market_names.get(ticket.market_id, "")
            tariff = tariff_label(ticket.demonstrator, ticket.badge_surcharge,
                                  ticket.blocking_surcharge)
            lines[ticket.trader_id].append(
                Line(ticket.day, market, ticket.metres, tariff, ticket.amount))
            rows[ticket.trader_id].append({
                "establishment_id": establishment.id,
                "invoice_id": invoice_ids[ticket.trader_id], "ticket_id": ticket.id,
                "day": ticket.day, "market_name": market, "metres": ticket.metres,
                "tariff": tariff, "amount": ticket.amount})
        session.execute(insert(InvoiceLine), [row for item in chunk
                                              for row in rows[item.trader_id]])
        for item in chunk:
            yield item, lines.pop(item.trader_id)


def get_run(session: Session, establishment: Establishment, run_id: int) -> InvoicingRun | None:
    return get_for(session, establishment, InvoicingRun, run_id)
