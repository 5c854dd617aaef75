"""The tables of the back office of Markets: monthly invoicing, invoices and the tickets they
bill, ticket import batches, SIRENE alerts and the dashboard's widget layout.

An invoice's debt lives in the core ledger (the trader's account, ``entry_id``); a pointed
payment is a core payment (``payment_id``). These tables say what each means to the market.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regie.api import Model, TenantMixin, utcnow

# Invoicing run states: a run is "running" while its job works, "done" once its invoices are
# committed, "failed" when the job stopped (nothing was kept: it can be restarted).
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"

# Import batch states.
OPEN, FINALISED = "open", "finalised"


class InvoicingRun(TenantMixin, Model):
    """The monthly invoicing treatment of one month ("traitement de facturation")."""

    __tablename__ = "markets_invoicing_run"
    __table_args__ = (UniqueConstraint("establishment_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date)
    """The first day of the invoiced month."""
    state: Mapped[str] = mapped_column(String(10), default=QUEUED)
    job_id: Mapped[int | None] = mapped_column(Integer)
    invoice_count: Mapped[int] = mapped_column(Integer, default=0)
    ticket_count: Mapped[int] = mapped_column(Integer, default=0)
    total_amount: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    invoices_file: Mapped[str] = mapped_column(String(300), default="")
    """The PDF of every invoice, relative to the instance folder."""
    index_file: Mapped[str] = mapped_column(String(300), default="")
    """The PDF of the last page of each market in ``invoices_file``."""
    page_index: Mapped[list[Any]] = mapped_column(JSON, default=list)
    """``[[market name, first page, last page], …]`` in the order of the invoices PDF."""
    created_by: Mapped[str] = mapped_column(String(150), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    last_access_at: Mapped[dt.datetime | None]
    last_access_by: Mapped[str] = mapped_column(String(150), default="")


class Invoice(TenantMixin, Model):
    """A trader's invoice of one month: two pages of the month's PDF, a debt in the ledger."""

    __tablename__ = "markets_invoice"
    __table_args__ = (
        UniqueConstraint("establishment_id", "number"),
        UniqueConstraint("run_id", "trader_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("markets_invoicing_run.id"), index=True)
    trader_id: Mapped[int] = mapped_column(ForeignKey("markets_trader.id"), index=True)
    number: Mapped[str] = mapped_column(String(20))
    """``YYYY-MM-NNNN``: year and month invoiced, then the rank in the month's PDF."""
    month: Mapped[dt.date] = mapped_column(Date, index=True)
    issued_on: Mapped[dt.date] = mapped_column(Date)
    market_id: Mapped[int | None] = mapped_column(ForeignKey("markets_market.id"))
    """The distribution market: where the trader had the most tickets that month."""
    market_name: Mapped[str] = mapped_column(String(100), default="")
    trader_number: Mapped[int] = mapped_column(Integer)
    legal_name: Mapped[str] = mapped_column(String(200), index=True)
    """The trader's legal name when invoiced."""
    address: Mapped[str] = mapped_column(String(300), default="")
    amount: Mapped[int] = mapped_column(Integer)
    ticket_count: Mapped[int] = mapped_column(Integer)
    first_page: Mapped[int] = mapped_column(Integer)
    """Its first page (1-based) in the month's PDF; the second is the next one."""
    entry_id: Mapped[int | None] = mapped_column(Integer)
    receipt_date: Mapped[dt.date | None] = mapped_column(Date)
    receipt_number: Mapped[str] = mapped_column(String(60), default="")
    receipt_comment: Mapped[str] = mapped_column(String(300), default="")
    """Said instead of a receipt number for a pointing without receipt (error, waiver)."""
    payment_id: Mapped[int | None] = mapped_column(Integer)
    """The core payment of a receipt number (régie) or of an online payment."""
    settlement_entry_id: Mapped[int | None] = mapped_column(Integer)
    """The ledger credit of a pointing without receipt (error, waiver)."""
    title_number: Mapped[str] = mapped_column(String(60), default="", index=True)
    """Titre de recette: once set, the régie no longer asks for the payment."""
    request_id: Mapped[int | None] = mapped_column(Integer, index=True)
    """The core payment request of an online payment started by the trader."""

    run: Mapped[InvoicingRun] = relationship()

    @property
    def paid(self) -> bool:
        return self.receipt_date is not None


class InvoiceLine(TenantMixin, Model):
    """A ticket billed by an invoice, as it was when invoiced. A ticket is billed once."""

    __tablename__ = "markets_invoice_line"
    __table_args__ = (UniqueConstraint("ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("markets_invoice.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[dt.date] = mapped_column(Date)
    market_name: Mapped[str] = mapped_column(String(100))
    metres: Mapped[int] = mapped_column(Integer)
    tariff: Mapped[str] = mapped_column(String(30), default="")
    amount: Mapped[int] = mapped_column(Integer)


class ImportBatch(TenantMixin, Model):
    """A batch of tickets written on paper while the system was down (seed §5.2)."""

    __tablename__ = "markets_import_batch"
    __table_args__ = (UniqueConstraint("establishment_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    day: Mapped[dt.date] = mapped_column(Date)
    market_id: Mapped[int] = mapped_column(ForeignKey("markets_market.id"))
    placier_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(10), default=OPEN)
    created_by: Mapped[str] = mapped_column(String(150), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finalised_at: Mapped[dt.datetime | None]
    finalised_by: Mapped[str] = mapped_column(String(150), default="")


class ImportedReading(TenantMixin, Model):
    """One metre reading of a batch, imported from CSV, waiting for finalisation.

    Every query names the batch, which the unique (batch, trader) index serves; no other index
    is kept, as an import writes a hundred thousand readings at once.
    """

    __tablename__ = "markets_imported_reading"
    __table_args__ = (UniqueConstraint("batch_id", "trader_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(
        ForeignKey("establishment.id", ondelete="CASCADE"))
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("markets_import_batch.id", ondelete="CASCADE"))
    line_number: Mapped[int] = mapped_column(Integer, default=0)
    trader_id: Mapped[int] = mapped_column(ForeignKey("markets_trader.id"))
    metres: Mapped[int] = mapped_column(Integer)
    badge_surcharge: Mapped[bool] = mapped_column(Boolean, default=False)
    blocking_surcharge: Mapped[bool] = mapped_column(Boolean, default=False)
    demonstrator: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_by: Mapped[str] = mapped_column(String(150), default="")
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    """The ticket created from it at finalisation."""


class SireneAlert(TenantMixin, Model):
    """A change the SIRENE register shows for a trader's SIRET."""

    __tablename__ = "markets_sirene_alert"
    __table_args__ = (Index("ix_markets_sirene_alert_open", "establishment_id", "processed"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trader_id: Mapped[int] = mapped_column(
        ForeignKey("markets_trader.id", ondelete="CASCADE"), index=True)
    siret: Mapped[str] = mapped_column(String(14))
    kind: Mapped[str] = mapped_column(String(20))
    """``closed``, ``ceased``, ``absent``, ``activity`` or ``address``."""
    details: Mapped[str] = mapped_column(Text, default="")
    event_date: Mapped[dt.date | None] = mapped_column(Date)
    source_file: Mapped[str] = mapped_column(String(255), default="")
    raised_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    acknowledgement: Mapped[str] = mapped_column(Text, default="")
    """"Prise en compte": what was done; an alert with one is processed."""
    processed: Mapped[bool] = mapped_column(Boolean, default=False)
    processed_by: Mapped[str] = mapped_column(String(150), default="")
    processed_at: Mapped[dt.datetime | None]


class SireneSnapshot(TenantMixin, Model):
    """What the register last said about a known SIRET, to tell a change from news."""

    __tablename__ = "markets_sirene_snapshot"
    __table_args__ = (UniqueConstraint("establishment_id", "siret"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    siret: Mapped[str] = mapped_column(String(14))
    state: Mapped[str] = mapped_column(String(1), default="")
    activity: Mapped[str] = mapped_column(String(10), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WidgetPlacement(TenantMixin, Model):
    """A dashboard widget a profile sees, where, and with which arguments."""

    __tablename__ = "markets_widget_placement"
    __table_args__ = (UniqueConstraint("establishment_id", "profile", "widget"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile: Mapped[str] = mapped_column(String(20))
    widget: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
