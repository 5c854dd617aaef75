"""The co-op's tables. Money lives in the core ledger: each member has a core account
(``coop.member``) and :class:`Operation` rows say what each ledger entry (or pending payment)
means to the co-op."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regie.api import Model, TenantMixin, utcnow

ACCOUNT_KIND = "coop.member"

# Operation kinds: debts are negative, payments positive, refunds negative, carry-overs either.
ORDER, SUBSCRIPTION, MEMBERSHIP = "order", "subscription", "membership"
PAYMENT, REFUND, CARRY_OVER = "payment", "refund", "carry_over"
DEBT_KINDS = (ORDER, SUBSCRIPTION, MEMBERSHIP)
OPERATION_KINDS = (*DEBT_KINDS, PAYMENT, REFUND, CARRY_OVER)

ON_THE_SPOT = "on_the_spot"
"""The placeholder type of a payment the member makes at the distribution, until the
coordinator says how they paid."""


class Member(TenantMixin, Model):
    __tablename__ = "coop_member"
    __table_args__ = (UniqueConstraint("establishment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    account_id: Mapped[int | None] = mapped_column(Integer)
    balance: Mapped[int] = mapped_column(Integer, default=0, index=True)
    """The core account's balance, copied after each operation (sorting the balances page)."""
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Product(TenantMixin, Model):
    __tablename__ = "coop_product"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20), default="")
    unit_price: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Distribution(TenantMixin, Model):
    __tablename__ = "coop_distribution"

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    place: Mapped[str] = mapped_column(String(100))
    orders_open_at: Mapped[dt.datetime]
    orders_close_at: Mapped[dt.datetime]
    opening_float: Mapped[int] = mapped_column(Integer, default=0)
    validated_at: Mapped[dt.datetime | None]
    validated_by: Mapped[str] = mapped_column(String(150), default="")


class Order(TenantMixin, Model):
    __tablename__ = "coop_order"
    __table_args__ = (UniqueConstraint("distribution_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    distribution_id: Mapped[int] = mapped_column(ForeignKey("coop_distribution.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("coop_member.id"), index=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(order_by="OrderLine.id", lazy="selectin")
    member: Mapped[Member] = relationship(lazy="joined")
    distribution: Mapped[Distribution] = relationship(lazy="joined")


class OrderLine(TenantMixin, Model):
    __tablename__ = "coop_order_line"
    __table_args__ = (UniqueConstraint("order_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("coop_order.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("coop_product.id"))
    quantity_milli: Mapped[int] = mapped_column(Integer)
    """Quantity in thousandths (1.5 kg = 1500), so weighed products stay exact."""
    unit_price: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)

    product: Mapped[Product] = relationship(lazy="joined")


class Operation(TenantMixin, Model):
    """One operation on a member's account. A final operation has its core ledger entry
    (``entry_id``); a pending payment has none and does not count in the balance."""

    __tablename__ = "coop_operation"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("coop_member.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200), default="")
    distribution_id: Mapped[int | None] = mapped_column(ForeignKey("coop_distribution.id"),
                                                        index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("coop_order.id"), index=True)
    payment_type: Mapped[str] = mapped_column(String(30), default="")
    pending: Mapped[bool] = mapped_column(Boolean, default=False)
    reference: Mapped[str] = mapped_column(String(120), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    entry_id: Mapped[int | None] = mapped_column(Integer)
    payment_id: Mapped[int | None] = mapped_column(Integer, index=True)
    request_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_by: Mapped[str] = mapped_column(String(150), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
