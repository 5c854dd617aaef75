"""Runs of sync sources: what was imported from outside, when, and what was refused. Only
:mod:`regie.services.sync` writes these rows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from regie.db.base import Model, TenantMixin, utcnow


class SyncRun(TenantMixin, Model):
    """One run of a sync source (``source`` = its code) or one exchange of a sync stream that
    is not a file (``reservation.payments``).

    ``state``: ``running``; ``succeeded`` (nothing refused); ``partial`` (some lines refused,
    the others imported); ``rejected`` (lines refused, nothing imported); ``failed`` (the file or
    the source could not be used: ``message`` says why). ``reject_document_id`` is the reject
    file, with the line number and the reason of each refused line.
    """

    __tablename__ = "sync_run"
    __table_args__ = (Index("ix_sync_run_source", "establishment_id", "source", "started_at"),)

    STATES = ("running", "succeeded", "partial", "rejected", "failed")
    OK = ("succeeded", "partial")

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20), default="running")
    filename: Mapped[str] = mapped_column(String(255), default="")
    imported: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    reject_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("document.id", ondelete="SET NULL"), default=None)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    @property
    def ok(self) -> bool:
        return self.state in self.OK

    def __repr__(self) -> str:
        return f"<SyncRun {self.id} {self.source} {self.state}>"
