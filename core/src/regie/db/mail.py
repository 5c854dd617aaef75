"""Mail tables: the durable outbox and its attachments, templates per document type, mail
settings per establishment and per user, and letters sent in batches."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regie.db.base import Model, TenantMixin, utcnow
from regie.db.documents import Document

QUEUED, SENDING, SENT, FAILED, CANCELLED = "queued", "sending", "sent", "failed", "cancelled"
MESSAGE_STATES = (QUEUED, SENDING, SENT, FAILED, CANCELLED)


class MailMessage(TenantMixin, Model):
    """One mail in the outbox: ``queued → sending → sent | failed``, or ``cancelled``.

    A message waiting for another attempt stays ``queued`` with ``next_attempt_at`` in the
    future and the reason of the last failure in ``last_error``. ``message_id`` is chosen once,
    so a message delivered twice by a retry is recognisably the same message.
    """

    __tablename__ = "mail_message"
    __table_args__ = (Index("ix_mail_message_state_next_attempt_at", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None)
    document_type: Mapped[str] = mapped_column(String(100), default="")
    record: Mapped[str] = mapped_column(String(100), default="", index=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    forget_recipients: Mapped[bool] = mapped_column(default=False)
    recipients_forgotten: Mapped[bool] = mapped_column(default=False)
    subject: Mapped[str] = mapped_column(Text, default="")
    text_body: Mapped[str] = mapped_column(Text, default="")
    html_body: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default=QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    refused: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    transport: Mapped[str] = mapped_column(String(63), default="")
    archived: Mapped[bool] = mapped_column(default=False)
    resent_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("mail_message.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    attachments: Mapped[list[MailAttachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan",
        order_by="MailAttachment.position")

    def __repr__(self) -> str:
        return f"<MailMessage {self.id} {self.state}>"


class MailAttachment(Model):
    """A stored document sent with a message, in order. The document outlives the sending, so
    the user can download it for a manual send, or resend it."""

    __tablename__ = "mail_attachment"
    __table_args__ = (UniqueConstraint("message_id", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("mail_message.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    message: Mapped[MailMessage] = relationship(back_populates="attachments")
    document: Mapped[Document] = relationship()


class MailTemplate(TenantMixin, Model):
    """The subject and message of one document type in an establishment (``name`` tells the
    letters of one type apart), with its recipients rule."""

    __tablename__ = "mail_template"
    __table_args__ = (UniqueConstraint("establishment_id", "document_type", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_type: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    text_body: Mapped[str] = mapped_column(Text, default="")
    html_body: Mapped[str] = mapped_column(Text, default="")
    document_body: Mapped[str] = mapped_column(Text, default="")
    attach_pdf: Mapped[bool] = mapped_column(default=True)
    to_payer: Mapped[bool] = mapped_column(default=True)
    to_main_contact: Mapped[bool] = mapped_column(default=False)
    fixed_recipients: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None)


class MailSettings(TenantMixin, Model):
    """How an establishment sends mail. Sending is allowed once a test mail went through with
    the settings in force: ``verified_fingerprint`` is the digest of those settings."""

    __tablename__ = "mail_settings"
    __table_args__ = (UniqueConstraint("establishment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    transport: Mapped[str] = mapped_column(String(63), default="")
    receipt_by_mail: Mapped[bool] = mapped_column(default=False)
    archive_letters: Mapped[bool] = mapped_column(default=True)
    max_attachment_kb: Mapped[int] = mapped_column(default=10 * 1024)
    verified_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    verified_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    verified_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None)


class MailUserSettings(TenantMixin, Model):
    """One user's overrides in an establishment (the seed configures the protocol and the
    sender per user): empty fields fall back to the establishment's."""

    __tablename__ = "mail_user_settings"
    __table_args__ = (UniqueConstraint("establishment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    transport: Mapped[str] = mapped_column(String(63), default="")
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    sender_address: Mapped[str] = mapped_column(String(254), default="")
    verified_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    verified_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class LetterBatch(TenantMixin, Model):
    """Letters of one template to a set of recipients a plugin provided (plain dicts)."""

    __tablename__ = "mail_letter_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None)
    document_type: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200), default="")
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("mail_template.id", ondelete="SET NULL"), default=None)
    recipients: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    save_address: Mapped[str] = mapped_column(String(200), default="")
    return_url: Mapped[str] = mapped_column(String(500), default="")
    by_mail: Mapped[bool] = mapped_column(default=True)
    by_print: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("job.id", ondelete="SET NULL"), default=None)
    print_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("document.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    letters: Mapped[list[Letter]] = relationship(
        back_populates="batch", cascade="all, delete-orphan", order_by="Letter.id")


class Letter(TenantMixin, Model):
    """One personalised letter of a batch; its PDF is kept when the establishment archives
    sent letters (view, reprint, resend)."""

    __tablename__ = "mail_letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("mail_letter_batch.id", ondelete="CASCADE"), index=True)
    recipient_key: Mapped[str] = mapped_column(String(100))
    recipient_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    mail_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("mail_message.id", ondelete="SET NULL"), default=None)
    printed: Mapped[bool] = mapped_column(default=False)
    archived: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str] = mapped_column(Text, default="")
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("document.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    batch: Mapped[LetterBatch] = relationship(back_populates="letters")
    mail_message: Mapped[MailMessage | None] = relationship()
    document: Mapped[Document | None] = relationship()
