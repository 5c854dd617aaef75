"""The durable outbox: every mail is a row first, then a delivery.

:func:`queue` stores a message (``queued``) in the caller's transaction, so a mail about a
payment exists exactly when the payment does. :func:`send_due` — run every minute by the
``core.mail_outbox`` task, and at once by pages that want to tell the user — claims due messages
(``sending``), hands them to the transport in batches (one connection per batch), and records each
result: ``sent``; or back to ``queued`` with ``next_attempt_at`` pushed back exponentially (1 min,
2, 4 … at most 1 h between attempts) and the reason in ``last_error``; or ``failed`` when the
refusal is permanent or after :data:`MAX_ATTEMPTS` (about four hours of trying). A claim that was
never resolved (a worker killed mid-batch) is taken back after :data:`STALE_CLAIM`. The
Message-ID is chosen when queuing and kept across attempts, so a server down for an hour loses
nothing, and a message that was in flight when a worker died is recognisable by its receivers.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session, selectinload

from regie.db.base import utcnow
from regie.db.documents import Document
from regie.db.mail import (
    CANCELLED,
    FAILED,
    QUEUED,
    SENDING,
    SENT,
    MailAttachment,
    MailMessage,
)
from regie.db.models import Establishment, User
from regie.db.tenancy import get_for, select_for
from regie.i18n import gettext as _
from regie.services import audit, documents
from regie.services.errors import Invalid, NotFound, Veto
from regie.services.mail import addresses
from regie.services.mail import settings as mail_settings
from regie.services.mail.transport import DeliveryResult, OutgoingMail

if TYPE_CHECKING:
    from regie.runtime import Runtime
    from regie.tasks.context import TaskContext

log = logging.getLogger("regie.mail")

MAX_ATTEMPTS = 10
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_WAIT = dt.timedelta(hours=1)
STALE_CLAIM = dt.timedelta(minutes=15)
BATCH_SIZE = 200
#: Sent and cancelled messages that are not archived are forgotten after this long.
KEEP_SENT = dt.timedelta(days=180)
ATTACHMENT_KIND = "mail_attachment"
MESSAGE_RECORD = "mail_message"
#: Who may download what the outbox holds.
VIEW_PERMISSION = "mail.view"


@attrs.frozen
class Upload:
    """A file a user adds to a message."""

    filename: str
    content_type: str
    content: bytes


@attrs.frozen
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def backoff(attempts: int) -> dt.timedelta:
    """The wait before attempt ``attempts + 1``: 1 min, 2, 4 … capped at one hour."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


# --- queuing -------------------------------------------------------------------------------------


def queue(session: Session, runtime: Runtime, establishment: Establishment, *,
          to: str | Iterable[str], subject: str, text: str, html: str = "",
          attachments: Sequence[Document] = (), uploads: Sequence[Upload] = (),
          user: User | None = None, document_type: str = "", record: str = "",
          forget_recipients: bool = False, archived: bool = False) -> MailMessage:
    """Put a message in the outbox, in the caller's transaction.

    Refused with :class:`Invalid` (bad address, attachments over the establishment's size
    limit, empty subject) or :class:`Veto` (no transport, or no successful test mail with the
    settings in force): nothing is stored then.
    """
    recipients = addresses.parse(to)
    subject = " ".join(subject.split())
    if not subject:
        raise Invalid({"subject": _("is required")})
    general = mail_settings.of_establishment(session, establishment)
    limit = general.max_attachment_kb * 1024
    total = sum(document.size for document in attachments)
    for upload in uploads:
        total += len(upload.content)
        if len(upload.content) > limit:
            raise Invalid({"attachments": _(
                "'%(name)s' is too large (%(size)s KB): attachments may not exceed %(limit)s KB "
                "in all", name=upload.filename, size=_kb(len(upload.content)),
                limit=general.max_attachment_kb)})
    if total > limit:
        raise Invalid({"attachments": _(
            "the attachments weigh %(size)s KB in all, more than the %(limit)s KB allowed",
            size=_kb(total), limit=general.max_attachment_kb)})
    chosen = mail_settings.route(session, runtime.engine, runtime.config, establishment,
                                 user.id if user else None)
    if not mail_settings.is_verified(session, establishment, chosen,
                                     user.id if user else None):
        raise Veto(_("Sending is not allowed until a test mail has gone through with the mail "
                     "settings in force: open the mail settings and send a test mail."))
    message = MailMessage(
        establishment_id=establishment.id, user_id=user.id if user else None,
        document_type=document_type, record=record,
        message_id=make_msgid(domain=chosen.sender.domain),
        recipients=recipients, forget_recipients=forget_recipients, subject=subject,
        text_body=text, html_body=html, state=QUEUED, attempts=0, next_attempt_at=utcnow(),
        archived=archived,
        attachments=[MailAttachment(document=document, position=position)
                     for position, document in enumerate(attachments)])
    session.add(message)
    session.flush()
    for position, upload in enumerate(uploads, start=len(attachments)):
        document = documents.store(session, establishment, kind=ATTACHMENT_KIND,
                                   filename=upload.filename, content_type=upload.content_type,
                                   content=upload.content, record_type=MESSAGE_RECORD,
                                   record_id=message.id, permission=VIEW_PERMISSION, user=user)
        message.attachments.append(MailAttachment(document=document, position=position))
    return message


def _kb(size: int) -> str:
    return f"{(size + 1023) // 1024}"


# --- sending -------------------------------------------------------------------------------------


def send_due(runtime: Runtime, *, ids: Iterable[int] | None = None,
             now: dt.datetime | None = None, limit: int = BATCH_SIZE) -> SendReport:
    """Send what is due (or only the messages ``ids``, if due), batch after batch, until
    nothing due is left; return the counts."""
    report = SendReport()
    wanted = None if ids is None else list(ids)
    while True:
        claimed = _claim(runtime, wanted, now or utcnow(), limit)
        if not claimed:
            return report
        for group in _groups(runtime, claimed):
            report = _add(report, _deliver(runtime, group, now or utcnow()))
        if wanted is not None:
            return report


def send_queue(ctx: TaskContext) -> dict[str, int]:
    """Scheduled task ``core.mail_outbox``: send every due message."""
    return attrs.asdict(send_due(ctx.runtime))


def _claim(runtime: Runtime, ids: list[int] | None, now: dt.datetime,
           limit: int) -> list[int]:
    """Mark up to ``limit`` due messages ``sending`` (a write transaction, so two senders
    never claim the same message) and return their ids."""
    due = or_(and_(MailMessage.state == QUEUED, MailMessage.next_attempt_at <= now),
              and_(MailMessage.state == SENDING, MailMessage.claimed_at < now - STALE_CLAIM))
    statement = select(MailMessage).where(due)
    if ids is not None:
        statement = statement.where(MailMessage.id.in_(ids))
    statement = (statement.order_by(MailMessage.next_attempt_at, MailMessage.id).limit(limit)
                 .with_for_update(skip_locked=True))
    with runtime.db.transaction() as session:
        messages = list(session.scalars(statement))
        for message in messages:
            message.state = SENDING
            message.claimed_at = now
        return [message.id for message in messages]


def _groups(runtime: Runtime, ids: list[int]) -> list[list[MailMessage]]:
    """The claimed messages with their attachments, grouped by sender (establishment, user)."""
    with runtime.db.session() as session:
        messages = session.scalars(
            select(MailMessage).where(MailMessage.id.in_(ids)).order_by(MailMessage.id)
            .options(selectinload(MailMessage.attachments).selectinload(MailAttachment.document)
                     .undefer(Document.content))).all()
        groups: dict[tuple[int, int | None], list[MailMessage]] = {}
        for message in messages:
            groups.setdefault((message.establishment_id, message.user_id), []).append(message)
        return list(groups.values())


def _deliver(runtime: Runtime, messages: list[MailMessage], now: dt.datetime) -> SendReport:
    establishment_id, user_id = messages[0].establishment_id, messages[0].user_id
    with runtime.db.session() as session:
        establishment = session.scalar(
            select(Establishment).where(Establishment.id == establishment_id)
            .options(selectinload(Establishment.plugins)))
        try:
            chosen = mail_settings.route(session, runtime.engine, runtime.config,
                                         establishment, user_id)
        except Veto as exc:
            chosen, problem = None, str(exc)
    if chosen is None:
        results = [DeliveryResult.failed(message.id, problem) for message in messages]
    else:
        results = _transport_send(chosen, [compose(message, chosen) for message in messages])
    return _record(runtime, results, chosen.code if chosen else "", now)


def _transport_send(chosen: mail_settings.Route, mails: list[OutgoingMail]
                    ) -> list[DeliveryResult]:
    try:
        transport = chosen.transport.factory(chosen.settings)
        results = {result.key: result for result in transport.send(mails)}
    except Exception as exc:  # a transport bug must not leave messages claimed
        log.exception("mail transport %s failed", chosen.code)
        results = {}
        problem = _("the mail transport '%(code)s' failed: %(error)s", code=chosen.code,
                    error=repr(exc))
    else:
        problem = _("the mail transport '%(code)s' gave no result for this message",
                    code=chosen.code)
    return [results.get(mail.key) or DeliveryResult.failed(mail.key, problem) for mail in mails]


def compose(message: MailMessage, chosen: mail_settings.Route) -> OutgoingMail:
    """The complete message as it leaves: headers from the route, the stored texts, and the
    stored documents attached."""
    mail = EmailMessage()
    mail["From"] = chosen.sender
    if chosen.reply_to is not None:
        mail["Reply-To"] = chosen.reply_to
    mail["To"] = ", ".join(message.recipients)
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(message.created_at)
    mail["Message-ID"] = message.message_id
    mail.set_content(message.text_body)
    if message.html_body:
        mail.add_alternative(message.html_body, subtype="html")
    for attachment in message.attachments:
        document = attachment.document
        maintype, _slash, subtype = document.content_type.partition("/")
        mail.add_attachment(document.content, maintype=maintype,
                            subtype=subtype or "octet-stream", filename=document.filename)
    return OutgoingMail(message.id, mail, chosen.envelope_sender, tuple(message.recipients))


def _record(runtime: Runtime, results: list[DeliveryResult], transport: str,
            now: dt.datetime) -> SendReport:
    sent = retrying = failed = 0
    with runtime.db.transaction() as session:
        messages = {message.id: message for message in session.scalars(
            select(MailMessage).where(MailMessage.id.in_([result.key for result in results])))}
        for result in results:
            message = messages.get(result.key)
            if message is None or message.state != SENDING:
                continue
            message.claimed_at = None
            message.refused = dict(result.refused)
            if result.ok:
                sent += 1
                message.state, message.sent_at, message.transport = SENT, now, transport
                message.last_error = _refused_summary(result.refused)
                if message.forget_recipients:
                    message.recipients, message.recipients_forgotten = [], True
                continue
            message.attempts += 1
            message.last_error = result.error
            if result.permanent or message.attempts >= MAX_ATTEMPTS:
                failed += 1
                message.state, message.next_attempt_at = FAILED, None
            else:
                retrying += 1
                message.state = QUEUED
                message.next_attempt_at = now + backoff(message.attempts)
    return SendReport(sent, retrying, failed)


def _refused_summary(refused: dict[str, str]) -> str:
    if not refused:
        return ""
    return _("refused by the server: %(list)s",
             list="; ".join(f"{address} ({reason})" for address, reason in refused.items()))


def _add(left: SendReport, right: SendReport) -> SendReport:
    return SendReport(left.sent + right.sent, left.retrying + right.retrying,
                      left.failed + right.failed)


# --- what users do with a message ------------------------------------------------------------


def get(session: Session, establishment: Establishment | int, message_id: int) -> MailMessage:
    message = get_for(session, establishment, MailMessage, message_id)
    if message is None:
        raise NotFound(_("no mail %(id)s here", id=message_id))
    return message


def listing(session: Session, establishment: Establishment | int, *, state: str | None = None,
            record: str | None = None, limit: int = 200) -> list[MailMessage]:
    statement = select_for(establishment, MailMessage)
    if state:
        statement = statement.where(MailMessage.state == state)
    if record:
        statement = statement.where(MailMessage.record == record)
    return list(session.scalars(statement.order_by(MailMessage.id.desc()).limit(limit)))


def retry(session: Session, establishment: Establishment, message_id: int,
          actor: User | None = None) -> MailMessage:
    """Try a failed (or waiting) message again now, with a fresh count of attempts."""
    message = get(session, establishment, message_id)
    if message.state not in (FAILED, QUEUED):
        raise Veto(_("only a failed or waiting mail can be retried; this one is %(state)s",
                     state=state_label(message.state)))
    message.state, message.attempts, message.next_attempt_at = QUEUED, 0, utcnow()
    audit.record(session, "mail.retry", establishment=establishment, user=actor,
                 target=str(message.id))
    return message


def cancel(session: Session, establishment: Establishment, message_id: int,
           actor: User | None = None) -> MailMessage:
    """Abandon a message that was not sent; it stays in the outbox as ``cancelled``."""
    message = get(session, establishment, message_id)
    if message.state not in (FAILED, QUEUED):
        raise Veto(_("only a failed or waiting mail can be abandoned; this one is %(state)s",
                     state=state_label(message.state)))
    message.state, message.next_attempt_at = CANCELLED, None
    audit.record(session, "mail.cancel", establishment=establishment, user=actor,
                 target=str(message.id))
    return message


def resend(session: Session, runtime: Runtime, establishment: Establishment, message_id: int,
           actor: User | None = None, to: str | None = None) -> MailMessage:
    """Queue a copy of a message (new Message-ID, same texts and attachments), to ``to`` or to
    the original recipients when they were kept."""
    original = get(session, establishment, message_id)
    if original.state in (QUEUED, SENDING):
        raise Veto(_("this mail is still waiting to be sent"))
    recipients = to if to and to.strip() else original.recipients
    if not recipients:
        raise Invalid({"recipients": _("the address of this mail was not kept: enter the "
                                       "address to send it to")})
    copy = queue(session, runtime, establishment, to=recipients, subject=original.subject,
                 text=original.text_body, html=original.html_body,
                 attachments=[attachment.document for attachment in original.attachments],
                 user=actor, document_type=original.document_type, record=original.record,
                 forget_recipients=original.forget_recipients, archived=original.archived)
    copy.resent_from_id = original.id
    audit.record(session, "mail.resend", establishment=establishment, user=actor,
                 target=str(original.id), details={"copy": copy.id})
    return copy


def purge(ctx: TaskContext, older_than: dt.timedelta = KEEP_SENT) -> int:
    """Scheduled task ``core.mail_purge``: forget sent and cancelled messages (and their
    recipients) that nobody archived, once they are old."""
    with ctx.db.transaction() as session:
        result = session.execute(delete(MailMessage).where(
            MailMessage.state.in_((SENT, CANCELLED)), MailMessage.archived.is_(False),
            MailMessage.created_at < utcnow() - older_than))
        return result.rowcount


def state_label(state: str) -> str:
    return {QUEUED: _("waiting"), SENDING: _("being sent"), SENT: _("sent"),
            FAILED: _("failed"), CANCELLED: _("abandoned")}.get(state, state)


def summary(message: MailMessage) -> dict[str, Any]:
    """A message as plain data, for the CLI and JSON."""
    return {
        "id": message.id, "state": message.state, "to": addresses.join(message.recipients),
        "subject": message.subject, "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at, "sent_at": message.sent_at,
        "last_error": message.last_error, "message_id": message.message_id,
    }
