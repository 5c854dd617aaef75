"""Tables of the back-office sync: the schools' agent tokens, the web payments waiting for the
back office, and the individuals the school asked to refresh."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from regie.api import Model, TenantMixin, utcnow


class SyncToken(TenantMixin, Model):
    """A token the school's agent presents to the sync API. Only the SHA-256 of its secret part
    is stored: the token is shown once, when it is created or rotated."""

    __tablename__ = "reservation_sync_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)
    """The token's first part, which names it in logs and on the page."""
    secret_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(150), default="")
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    replaced_by_id: Mapped[int | None] = mapped_column(Integer)
    """The token that took this one's place when it was rotated."""

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class SyncPayment(TenantMixin, Model):
    """A succeeded web payment on a canteen account, as the back office will record it.

    Written in the payment's own transaction, under the establishment's receipt counter lock,
    so receipt numbers reach this table in the order they commit: the agent's cursor (the last
    receipt number it has) can neither miss nor repeat one. Rows the back office acknowledged
    long ago are deleted by a daily task.
    """

    __tablename__ = "reservation_sync_payment"
    __table_args__ = (
        UniqueConstraint("establishment_id", "receipt_number"),
        Index("ix_reservation_sync_payment_acknowledged", "establishment_id", "acknowledged_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_number: Mapped[int] = mapped_column(BigInteger)
    payment_id: Mapped[int] = mapped_column(Integer, unique=True)
    reference: Mapped[str] = mapped_column(String(250))
    method: Mapped[str] = mapped_column(String(63))
    account_id: Mapped[int] = mapped_column(Integer, index=True)
    individual_external_id: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    succeeded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[dt.datetime | None]
    """When the agent first pulled with a cursor past this payment: the back office has it."""


class SyncRequest(TenantMixin, Model):
    """The school asked for an individual's data now ("send this pupil"): the agent's next
    refresh pushes it with ``days`` of passages."""

    __tablename__ = "reservation_sync_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    individual_id: Mapped[int] = mapped_column(
        ForeignKey("reservation_individual.id", ondelete="CASCADE"), index=True)
    days: Mapped[int] = mapped_column(Integer, default=90)
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    requested_by: Mapped[str] = mapped_column(String(150), default="")
