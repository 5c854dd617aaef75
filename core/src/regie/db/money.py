"""The money tables: ledger accounts and entries, payments, refunds, provider notifications,
payment requests, and the per-establishment counters (ledger sequence, receipt numbers).

Only :mod:`regie.services.ledger` and :mod:`regie.services.payments` write these rows. Ledger
entries are never updated nor deleted: the ORM refuses it (see :func:`_refuse_entry_changes`),
and ``regie ledger verify`` detects changes made behind its back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from regie.db.base import Model, TenantMixin, utcnow


class LedgerError(Exception):
    """A change to ledger rows that the ledger's rules forbid."""


class LedgerAccount(TenantMixin, Model):
    """What one payer (a pupil, a trader, a subscriber, a member) owes or has in credit.

    ``kind`` and ``owner_key`` come from the plugin that opened the account
    (``("reservation.pupil", "1234")``) and name it uniquely in the establishment. ``balance``
    caches the sum of the account's entries; it changes only with an entry, in its transaction.
    """

    __tablename__ = "ledger_account"
    establishment_index = False
    __table_args__ = (UniqueConstraint("establishment_id", "kind", "owner_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(100))
    owner_key: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(200), default="")
    currency: Mapped[str] = mapped_column(String(3))
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class LedgerEntry(TenantMixin, Model):
    """A signed amount on an account: positive credits the payer, negative charges them.

    ``sequence`` numbers the establishment's entries without gaps; ``hash`` is the SHA-256 of the
    entry's canonical content and ``previous_hash`` (the hash of entry ``sequence - 1``), so
    changing, removing or inserting an entry breaks the chain. ``balance_after`` is the account's
    balance once the entry is posted (the running balance of statements).
    """

    __tablename__ = "ledger_entry"
    establishment_index = False
    __table_args__ = (
        UniqueConstraint("establishment_id", "sequence"),
        Index("ix_ledger_entry_account_sequence", "account_id", "sequence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    balance_after: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(30))
    label: Mapped[str] = mapped_column(String(200), default="")
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payment.id"), default=None, index=True)
    reverses_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_entry.id"), default=None, unique=True)
    actor: Mapped[str] = mapped_column(String(150), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    account: Mapped[LedgerAccount] = relationship()


class MoneyCounter(TenantMixin, Model):
    """A per-establishment counter, locked for update while it is advanced (``ledger`` for
    entry sequences, ``receipt`` for receipt numbers, ``reference`` for payment references):
    numbers come without gaps and without the race of ``max() + 1``. The ``ledger`` counter's
    ``head`` is the hash of the last entry, where the next one chains on."""

    __tablename__ = "money_counter"
    establishment_index = False
    __table_args__ = (UniqueConstraint("establishment_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    head: Mapped[str] = mapped_column(String(64), default="")


class PaymentRequest(TenantMixin, Model):
    """An amount asked of a payer, who pays it through the link holding ``token``."""

    __tablename__ = "payment_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"),
                                            index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(250), default="")
    payer_email: Mapped[str] = mapped_column(String(254), default="")
    token: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(20), default="open")
    created_by: Mapped[str] = mapped_column(String(150), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    paid_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    account: Mapped[LedgerAccount] = relationship()

    STATES = ("open", "paid", "cancelled")


class Payment(TenantMixin, Model):
    """One attempt to take money, by one method, for one account.

    States: ``pending → succeeded | failed | cancelled``; ``succeeded → cancelled`` (same-day
    void) ``| refunded`` (``refunded_amount`` says how much); ``needs_review`` when what the
    provider said does not match. A failed attempt may still succeed later under the same
    reference (the payer retries on the provider's page).
    """

    __tablename__ = "payment"
    establishment_index = False
    __table_args__ = (
        UniqueConstraint("establishment_id", "method", "reference"),
        UniqueConstraint("establishment_id", "receipt_number"),
        Index("ix_payment_establishment_created", "establishment_id", "created_at"),
        Index("ix_payment_establishment_state", "establishment_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_account.id"),
                                            index=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("payment_request.id", ondelete="SET NULL"), default=None, index=True)
    method: Mapped[str] = mapped_column(String(63))
    reference: Mapped[str] = mapped_column(String(250))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(20), default="pending")
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    description: Mapped[str] = mapped_column(String(250), default="")
    payer_name: Mapped[str] = mapped_column(String(200), default="")
    payer_email: Mapped[str] = mapped_column(String(254), default="")
    payer_address: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    provider_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    provider_reference: Mapped[str] = mapped_column(String(250), default="")
    token: Mapped[str] = mapped_column(String(64), unique=True)
    receipt_number: Mapped[int | None] = mapped_column(BigInteger, default=None)
    review_reason: Mapped[str] = mapped_column(Text, default="")
    review_evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(150), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    succeeded_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    account: Mapped[LedgerAccount] = relationship()
    request: Mapped[PaymentRequest | None] = relationship()

    STATES = ("pending", "succeeded", "failed", "cancelled", "refunded", "needs_review")


class PaymentRefund(TenantMixin, Model):
    """Money given back on a succeeded payment; several partial refunds may follow each other."""

    __tablename__ = "payment_refund"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"),
                                            index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    reason: Mapped[str] = mapped_column(Text, default="")
    through_provider: Mapped[bool] = mapped_column(default=False)
    provider_reference: Mapped[str] = mapped_column(String(250), default="")
    provider_message: Mapped[str] = mapped_column(Text, default="")
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_entry.id"), default=None)
    actor: Mapped[str] = mapped_column(String(150), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    STATES = ("pending", "succeeded", "failed")


class PaymentNotification(TenantMixin, Model):
    """A message from a payment provider, stored raw before anything is decided from it.

    ``event_key`` is the provider's key of the event (or ``raw:<sha256>`` of the bytes when the
    message could not be verified), unique per establishment and method: a second delivery of
    the same event is recognised and changes nothing. ``status`` says what came of it:
    ``received`` (stored, not processed yet), ``applied``, ``ignored`` (nothing to change),
    ``rejected`` (not genuine; ``reason`` says why), ``unmatched`` (no payment has its
    reference: kept for review), ``review`` (the payment went to review because of it).
    """

    __tablename__ = "payment_notification"
    establishment_index = False
    __table_args__ = (
        UniqueConstraint("establishment_id", "method", "event_key"),
        Index("ix_payment_notification_establishment_status", "establishment_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(63))
    event_key: Mapped[str] = mapped_column(String(250))
    source: Mapped[str] = mapped_column(String(20), default="notification")
    status: Mapped[str] = mapped_column(String(20), default="received")
    reason: Mapped[str] = mapped_column(Text, default="")
    http_method: Mapped[str] = mapped_column(String(10), default="")
    query_string: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    body: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    remote_addr: Mapped[str] = mapped_column(String(45), default="")
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    reference: Mapped[str] = mapped_column(String(250), default="")
    outcome: Mapped[str] = mapped_column(String(20), default="")
    amount: Mapped[int | None] = mapped_column(BigInteger, default=None)
    currency: Mapped[str | None] = mapped_column(String(3), default=None)
    merchant: Mapped[str | None] = mapped_column(String(100), default=None)
    code: Mapped[str] = mapped_column(String(20), default="")
    provider_reference: Mapped[str] = mapped_column(String(250), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payment.id", ondelete="SET NULL"), default=None, index=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    STATUSES = ("received", "applied", "ignored", "rejected", "unmatched", "review")


@event.listens_for(LedgerEntry, "before_update")
@event.listens_for(LedgerEntry, "before_delete")
def _refuse_entry_changes(_mapper, _connection, target: LedgerEntry) -> None:
    raise LedgerError(f"ledger entry {target.id} cannot be changed or deleted: post a reversal")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_entry_changes(state) -> None:
    if (state.is_update or state.is_delete) and any(
            mapper.class_ is LedgerEntry for mapper in state.all_mappers):
        raise LedgerError("ledger entries cannot be changed or deleted: post a reversal")


__all__ = [
    "LedgerAccount",
    "LedgerEntry",
    "LedgerError",
    "MoneyCounter",
    "Payment",
    "PaymentNotification",
    "PaymentRefund",
    "PaymentRequest",
]
