"""The school canteen's tables. Money lives in the core ledger: each individual has a core
account (``reservation.pupil``) debited by passages and credited by payments."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regie.api import Model, TenantMixin, utcnow

ACCOUNT_KIND = "reservation.pupil"
PUPIL, STAFF = "pupil", "staff"
KINDS = (PUPIL, STAFF)

NEXT_MEAL, GIVEN_DAY = "next_meal", "given_day"
"""Reservation modes: the pupil books the next service day, or picks the day (default)."""
MODES = (NEXT_MEAL, GIVEN_DAY)
DEFAULT_MEAL = "lunch"


class Individual(TenantMixin, Model):
    """A pupil or a staff member who eats at the canteen, and their portal login."""

    __tablename__ = "reservation_individual"
    __table_args__ = (
        UniqueConstraint("establishment_id", "external_id"),
        UniqueConstraint("establishment_id", "login"),
        Index("ix_reservation_individual_class", "establishment_id", "class_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64))
    """The back office's id of the individual."""
    kind: Mapped[str] = mapped_column(String(10), default=PUPIL)
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100), default="")
    class_name: Mapped[str] = mapped_column(String(50), default="")
    regime: Mapped[str] = mapped_column(String(50), default="")
    login: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    """The argon2 hash of the password the family chose; empty while the initialization
    password is the one in use."""
    initial_password: Mapped[str | None] = mapped_column(String(64))
    """The readable initialization password, kept only until the family changes it (letters
    and labels print it)."""
    family_changed_at: Mapped[dt.datetime | None]
    """When the family last changed its login or password: from then on, the back office's
    pushes no longer change them (only a reset by the school does)."""
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    account_id: Mapped[int] = mapped_column(Integer)
    balance_as_of: Mapped[dt.datetime | None]
    """When the back office last confirmed the balance."""
    last_login_at: Mapped[dt.datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    responsibles: Mapped[list[Responsible]] = relationship(
        order_by="Responsible.id", lazy="selectin", back_populates="individual")

    @property
    def full_name(self) -> str:
        return f"{self.last_name} {self.first_name}".strip()

    @property
    def password_changed(self) -> bool:
        """The family chose its own password: the initialization one is gone."""
        return bool(self.password_hash)


class Responsible(TenantMixin, Model):
    """A parent or guardian of an individual, who receives the login mail."""

    __tablename__ = "reservation_responsible"

    id: Mapped[int] = mapped_column(primary_key=True)
    individual_id: Mapped[int] = mapped_column(
        ForeignKey("reservation_individual.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")

    individual: Mapped[Individual] = relationship(back_populates="responsibles")


class Passage(TenantMixin, Model):
    """A meal taken, as the back office saw it; it debited the individual's account."""

    __tablename__ = "reservation_passage"
    __table_args__ = (
        UniqueConstraint("establishment_id", "external_id"),
        Index("ix_reservation_passage_individual_day", "individual_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    individual_id: Mapped[int] = mapped_column(
        ForeignKey("reservation_individual.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[dt.date] = mapped_column(Date)
    meal: Mapped[str] = mapped_column(String(30), default=DEFAULT_MEAL)
    price: Mapped[int] = mapped_column(Integer)
    entry_id: Mapped[int | None] = mapped_column(Integer)


class Reservation(TenantMixin, Model):
    """A meal booked by the family; ``cancelled_at`` is set when they cancel it, and cleared
    when they book the same meal again (one row per individual, day and meal)."""

    __tablename__ = "reservation_reservation"
    __table_args__ = (
        UniqueConstraint("individual_id", "day", "meal"),
        Index("ix_reservation_reservation_day", "establishment_id", "day", "meal"),
        Index("ix_reservation_reservation_updated", "establishment_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    individual_id: Mapped[int] = mapped_column(
        ForeignKey("reservation_individual.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date)
    meal: Mapped[str] = mapped_column(String(30), default=DEFAULT_MEAL)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    """Last booking or cancellation: the back office pulls what changed since its last run."""

    individual: Mapped[Individual] = relationship()


class PlanningDay(TenantMixin, Model):
    """One line of the weekly reservation planning: the meals of ``weekday`` (0 = Monday)
    can be booked from ``opens_weekday`` (``Début``) until ``closes_weekday`` at
    ``closes_at`` (``Fin``, ``Heure fin``) of the week before or the same week."""

    __tablename__ = "reservation_planning_day"
    __table_args__ = (UniqueConstraint("establishment_id", "weekday", "meal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer)
    meal: Mapped[str] = mapped_column(String(30), default=DEFAULT_MEAL)
    served: Mapped[bool] = mapped_column(Boolean, default=True)
    opens_days_before: Mapped[int] = mapped_column(Integer, default=7)
    """``Début``: how many days before the meal booking opens."""
    closes_days_before: Mapped[int] = mapped_column(Integer, default=1)
    """``Fin``: how many days before the meal booking closes."""
    closes_at: Mapped[dt.time] = mapped_column(Time, default=dt.time(10, 0))
    """``Heure fin``: the time of the closing day (the school's local time)."""


class Holiday(TenantMixin, Model):
    """A period without service: nobody can reserve a meal on these days."""

    __tablename__ = "reservation_holiday"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)

