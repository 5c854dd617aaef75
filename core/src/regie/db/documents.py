"""Stored documents: the bytes of a rendered receipt, letter or invoice, and the record they
belong to. Only :mod:`regie.services.documents` writes these rows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from regie.db.base import Model, TenantMixin, utcnow


class Document(TenantMixin, Model):
    """A file Régie produced, kept so it can be downloaded, mailed or attached again.

    ``record_type`` and ``record_id`` name the row it belongs to (``("payment", "42")``);
    ``permission`` is what a member of the establishment needs to download it (the permission
    that shows the owning record). ``content`` is loaded only when asked for.
    """

    __tablename__ = "document"
    __table_args__ = (
        Index("ix_document_record", "establishment_id", "record_type", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(63))
    renderer: Mapped[str] = mapped_column(String(63), default="")
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    record_type: Mapped[str] = mapped_column(String(63))
    record_id: Mapped[str] = mapped_column(String(63))
    permission: Mapped[str] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Document {self.id} {self.kind} {self.filename}>"


__all__ = ["Document"]
