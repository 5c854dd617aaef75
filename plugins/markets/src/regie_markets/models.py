"""The tables of the field side of Markets: markets, traders, tickets and their history,
daily authorisations and the placement of a day.

Money is in integer minor units (cents). A trader's debts live in the core ledger, in the
account opened for them (``account_id``); invoicing tables belong to ``office_models``.
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
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regie.api import Model, TenantMixin, utcnow

ACCOUNT_KIND = "markets.trader"
"""The ledger account kind of a trader (owner key: the trader's number)."""

SOURCE_FIELD, SOURCE_IMPORT, SOURCE_NO_BADGE = "field", "import", "no_badge"
TICKET_SOURCES = (SOURCE_FIELD, SOURCE_IMPORT, SOURCE_NO_BADGE)

CREATE, UPDATE, DELETE = "create", "update", "delete"


class Market(TenantMixin, Model):
    """A market and its tariffs per metre (minor units)."""

    __tablename__ = "markets_market"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    place: Mapped[str] = mapped_column(String(200), default="")
    weekdays: Mapped[str] = mapped_column(String(7), default="")
    """ISO weekday digits the market is open: ``"36"`` is Wednesday and Saturday."""
    tariff_standard: Mapped[int] = mapped_column(Integer, default=0)
    tariff_demonstrator: Mapped[int] = mapped_column(Integer, default=0)
    tariff_surcharge: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def opens_on(self, day: dt.date) -> bool:
        return str(day.isoweekday()) in self.weekdays


class SalesNature(TenantMixin, Model):
    __tablename__ = "markets_sales_nature"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(100))


class DocumentType(TenantMixin, Model):
    __tablename__ = "markets_document_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(100))


def display_name(legal_name: str | None, last_name: str | None, first_name: str | None) -> str:
    """A trader's name on screens and invoices: the legal name, or else the person's name."""
    return legal_name or f"{last_name} {first_name}".strip()


class Trader(TenantMixin, Model):
    """A non-sedentary trader (commerçant non sédentaire)."""

    __tablename__ = "markets_trader"
    __table_args__ = (
        UniqueConstraint("establishment_id", "number"),
        UniqueConstraint("establishment_id", "badge_serial"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    legal_name: Mapped[str] = mapped_column(String(200), index=True)
    address: Mapped[str] = mapped_column(String(300))
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    mobile: Mapped[str] = mapped_column(String(30), default="")
    siret: Mapped[str] = mapped_column(String(14), index=True)
    third_party_number: Mapped[str] = mapped_column(String(50), default="")
    sales_nature_id: Mapped[int | None] = mapped_column(
        ForeignKey("markets_sales_nature.id", ondelete="SET NULL"))
    kbis_checked_on: Mapped[dt.date | None] = mapped_column(Date)
    insurance_until: Mapped[dt.date | None] = mapped_column(Date)
    badge_serial: Mapped[str | None] = mapped_column(String(64))
    badge_associated: Mapped[bool] = mapped_column(Boolean, default=False)
    badge_token: Mapped[str] = mapped_column(String(64), unique=True)
    """The secret part of the badge URL: never the trader's number."""
    photo_document_id: Mapped[int | None] = mapped_column(Integer)
    """The :class:`TraderDocument` holding the photo (kind ``photo``)."""
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked_reason: Mapped[str] = mapped_column(String(200), default="")
    blocked_details: Mapped[str] = mapped_column(Text, default="")
    access_code_hash: Mapped[str] = mapped_column(String(200), default="")
    access_code_failures: Mapped[int] = mapped_column(Integer, default=0)
    account_id: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    sales_nature: Mapped[SalesNature | None] = relationship(lazy="joined")

    @property
    def display_name(self) -> str:
        return display_name(self.legal_name, self.last_name, self.first_name)


REVOCATION_REASONS = ("lost", "stolen", "defective", "replaced")


class RevokedBadge(TenantMixin, Model):
    """A badge that no longer opens the trader's record: the token of its URL (the QR code
    printed on the card) and the serial of its chip, kept so that a scan of it says "revoked"
    instead of "unknown". A row without token is a card replaced by another serial while the
    URL stayed the same; without serial, a card that was never associated."""

    __tablename__ = "markets_revoked_badge"
    __table_args__ = (Index("ix_markets_revoked_badge_serial", "establishment_id", "serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trader_id: Mapped[int] = mapped_column(
        ForeignKey("markets_trader.id", ondelete="CASCADE"), index=True)
    token: Mapped[str | None] = mapped_column(String(64), unique=True)
    serial: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(20))
    """One of :data:`REVOCATION_REASONS`."""
    revoked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_by: Mapped[str] = mapped_column(String(150), default="")

    trader: Mapped[Trader] = relationship(lazy="joined")


class Employee(TenantMixin, Model):
    """A person who may stand for the trader on the market (spouse, partner, employee)."""

    __tablename__ = "markets_employee"

    id: Mapped[int] = mapped_column(primary_key=True)
    trader_id: Mapped[int] = mapped_column(
        ForeignKey("markets_trader.id", ondelete="CASCADE"), index=True)
    last_name: Mapped[str] = mapped_column(String(100), index=True)
    first_name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(100), default="")


class TraderDocument(TenantMixin, Model):
    """A file of a trader's record: a scanned document, or the badge photo (kind ``photo``)."""

    __tablename__ = "markets_trader_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    trader_id: Mapped[int] = mapped_column(
        ForeignKey("markets_trader.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="document")
    document_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("markets_document_type.id", ondelete="SET NULL"))
    document_date: Mapped[dt.date | None] = mapped_column(Date)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    document_type: Mapped[DocumentType | None] = relationship(lazy="joined")


class Ticket(TenantMixin, Model):
    """The metres a trader occupied on a market one day, and what it costs."""

    __tablename__ = "markets_ticket"
    __table_args__ = (
        UniqueConstraint("trader_id", "market_id", "day"),
        Index("ix_markets_ticket_market_day", "market_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trader_id: Mapped[int] = mapped_column(ForeignKey("markets_trader.id"), index=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("markets_market.id"))
    placier_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"))
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    metres: Mapped[int] = mapped_column(Integer)
    demonstrator: Mapped[bool] = mapped_column(Boolean, default=False)
    badge_surcharge: Mapped[bool] = mapped_column(Boolean, default=False)
    blocking_surcharge: Mapped[bool] = mapped_column(Boolean, default=False)
    amount: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(10), default=SOURCE_FIELD)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    trader: Mapped[Trader] = relationship(lazy="joined")
    market: Mapped[Market] = relationship(lazy="joined")


class TicketChange(TenantMixin, Model):
    """One line of the ticket history; kept when the ticket is deleted."""

    __tablename__ = "markets_ticket_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Authorisation(TenantMixin, Model):
    """A trader may be placed as a daily trader on a market; ``start_date`` (per weekday)
    gives seniority in the placement ranking. ``weekday`` 0 means any day."""

    __tablename__ = "markets_authorisation"
    __table_args__ = (UniqueConstraint("trader_id", "market_id", "weekday"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trader_id: Mapped[int] = mapped_column(
        ForeignKey("markets_trader.id", ondelete="CASCADE"), index=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("markets_market.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(Integer, default=0)
    start_date: Mapped[dt.date | None] = mapped_column(Date)

    market: Mapped[Market] = relationship(lazy="joined")


class Enrolment(TenantMixin, Model):
    """A trader enrolled for the placement of daily traders on a market one day."""

    __tablename__ = "markets_enrolment"
    __table_args__ = (UniqueConstraint("market_id", "day", "trader_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("markets_market.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    trader_id: Mapped[int] = mapped_column(
        ForeignKey("markets_trader.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(Integer, default=0)
    placed: Mapped[bool] = mapped_column(Boolean, default=False)
    placed_at: Mapped[dt.datetime | None]
    attendance: Mapped[int] = mapped_column(Integer, default=0)
    """Tickets on this market and weekday in the attendance period, when enrolled."""
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    """The seniority date the rank used."""
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    trader: Mapped[Trader] = relationship(lazy="joined")
