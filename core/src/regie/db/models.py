"""The core's tables: establishments and their plugins, users and roles, audit trail, jobs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regie.db.base import Model, TenantMixin, utcnow


class Establishment(Model):
    __tablename__ = "establishment"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(10), default="fr")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    address: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    logo: Mapped[bytes | None] = mapped_column(default=None)
    logo_type: Mapped[str] = mapped_column(String(50), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    settings_version: Mapped[int] = mapped_column(default=0, server_default="0")
    """Bumped by every change of the establishment, its plugins or their settings: what a web
    process keeps about the establishment is good while the version is the same."""

    plugins: Mapped[list[EstablishmentPlugin]] = relationship(
        back_populates="establishment", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Establishment {self.slug}>"


class EstablishmentPlugin(TenantMixin, Model):
    """A plugin switched on for an establishment, with its settings there."""

    __tablename__ = "establishment_plugin"
    __table_args__ = (UniqueConstraint("establishment_id", "plugin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plugin: Mapped[str] = mapped_column(String(63))
    enabled: Mapped[bool] = mapped_column(default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    establishment: Mapped[Establishment] = relationship(back_populates="plugins")


class User(Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    is_superuser: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(10), default="")
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class Membership(TenantMixin, Model):
    """A role held by a user in an establishment; a user may hold several."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "establishment_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    role: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    establishment: Mapped[Establishment] = relationship()


class AuditEvent(Model):
    """Who did what, when. Rows are only ever added."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_establishment_created", "establishment_id",
                            "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int | None] = mapped_column(
        ForeignKey("establishment.id", ondelete="CASCADE"), default=None)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None)
    actor: Mapped[str] = mapped_column(String(150), default="")
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(45), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Job(Model):
    """Progress of a long piece of work, shown in the web and by the CLI."""

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int | None] = mapped_column(
        ForeignKey("establishment.id", ondelete="CASCADE"), default=None, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None)
    name: Mapped[str] = mapped_column(String(150))
    label: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(20), default="queued")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    STATES = ("queued", "running", "succeeded", "failed")

    @property
    def percent(self) -> int:
        if self.state == "succeeded":
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class TaskRun(Model):
    """The last run of a scheduled task for an establishment (or globally), and its lock."""

    __tablename__ = "task_run"
    __table_args__ = (UniqueConstraint("task", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(150))
    scope: Mapped[str] = mapped_column(String(63), default="")
    state: Mapped[str] = mapped_column(String(20), default="idle")
    locked_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")


# The money, stored documents and mail tables live in their own modules; importing them here
# completes the metadata.
from regie.db import documents, mail, money, sync  # noqa: E402, F401
