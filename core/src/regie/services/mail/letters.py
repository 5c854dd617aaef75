"""Letters (seed 000): one personalised document per recipient, from a template of a letter
document type, sent by mail and/or gathered into one PDF to print, with progress.

A plugin hands over its recipients as plain dicts (:func:`prepare`) and sends the user to the
batch's page::

    {"key": "pupil:12", "name": "Famille Martin", "email": "martin@example.org",
     "address": "3 allée des Tilleuls\\n69003 Lyon", "data": {"pupil": {"login": "lmartin"}}}

``data`` is the template data of the plugin's placeholders. A recipient without an address is
listed with a form; what the user types is checked, kept in the batch and handed to the
plugin's ``save_address`` function (``"module:function"``, called as
``function(session=…, establishment=…, key=…, address=…)`` in the same transaction), so it is
known next time (seed 000: « Elle sera alors enregistrée comme adresse mail du responsable »).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zoneinfo
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from babel.dates import format_date
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from regie.db.base import utcnow
from regie.db.mail import Letter, LetterBatch, MailMessage, MailTemplate
from regie.db.models import Establishment, Job, User
from regie.db.tenancy import get_for, select_for
from regie.documents import batch as pdf_batch
from regie.documents import fonts
from regie.engine import Engine
from regie.i18n import gettext as _
from regie.services import documents, jobs
from regie.services.errors import Invalid, NotFound, Veto
from regie.services.mail import addresses, outbox, placeholders, templates
from regie.services.mail import settings as mail_settings
from regie.services.mail.rendering import TemplateProblem
from regie.tasks.targets import resolve

if TYPE_CHECKING:
    from regie.runtime import Runtime
    from regie.tasks.context import TaskContext

LETTER_KIND = "letter"
PRINT_KIND = "letters_print"
BATCH_RECORD = "mail_letter_batch"
#: Who may download letters: whoever may send them.
SEND_PERMISSION = "mail.send"
DRAFT, RUNNING, DONE = "draft", "running", "done"
JOB_TARGET = "regie.services.mail.letters:run_batch"


# --- preparing a batch ---------------------------------------------------------------------------


def prepare(session: Session, engine: Engine, establishment: Establishment, *,
            document_type: str, recipients: Iterable[Mapping[str, Any]], title: str = "",
            save_address: str = "", return_url: str = "", user: User | None = None
            ) -> LetterBatch:
    """A new batch of letters of ``document_type`` to ``recipients`` (plain dicts, see the
    module); :class:`Invalid` says what is wrong with them."""
    kind = placeholders.document_type(engine, document_type)
    if not kind.letter:
        raise Invalid({"document_type": _("'%(code)s' is not a letter", code=document_type)})
    cleaned, errors = [], {}
    seen: set[str] = set()
    for number, recipient in enumerate(recipients, 1):
        key = str(recipient.get("key") or "").strip()
        if not key or key in seen:
            errors[f"recipients.{number}"] = _("each recipient needs a key of its own")
            continue
        seen.add(key)
        email = str(recipient.get("email") or "").strip()
        try:
            json.dumps(recipient.get("data") or {})
        except TypeError:
            errors[f"recipients.{number}"] = _("the data of a recipient must be plain values")
            continue
        cleaned.append({"key": key, "name": str(recipient.get("name") or key),
                        "email": email, "address": str(recipient.get("address") or ""),
                        "data": dict(recipient.get("data") or {})})
    if not cleaned and not errors:
        errors["recipients"] = _("there is nobody to write to")
    if save_address:
        try:
            resolve(save_address)
        except (ImportError, ValueError) as exc:
            errors["save_address"] = str(exc)
    if return_url and not (return_url.startswith("/") and not return_url.startswith("//")):
        errors["return_url"] = _("must be a path of this site")
    if errors:
        raise Invalid(errors)
    batch = LetterBatch(establishment_id=establishment.id, user_id=user.id if user else None,
                        document_type=kind.code, title=title or str(kind.label),
                        recipients=cleaned, save_address=save_address, return_url=return_url,
                        by_mail=True, by_print=False, state=DRAFT)
    session.add(batch)
    session.flush()
    return batch


def get(session: Session, establishment: Establishment | int, batch_id: int) -> LetterBatch:
    batch = get_for(session, establishment, LetterBatch, batch_id)
    if batch is None:
        raise NotFound(_("no letters %(id)s here", id=batch_id))
    return batch


def missing_addresses(batch: LetterBatch) -> list[dict[str, Any]]:
    """The recipients a mail cannot reach yet."""
    return [recipient for recipient in batch.recipients if not recipient["email"]]


def set_address(session: Session, establishment: Establishment, batch: LetterBatch, key: str,
                address: str) -> str:
    """Give recipient ``key`` an address (checked), kept in the batch and saved by the plugin
    that provided the recipients."""
    try:
        checked = addresses.check(address.strip())
    except ValueError as exc:
        raise Invalid({key: str(exc)}) from None
    recipients = [dict(recipient) for recipient in batch.recipients]
    found = next((recipient for recipient in recipients if recipient["key"] == key), None)
    if found is None:
        raise NotFound(_("no recipient '%(key)s' in these letters", key=key))
    found["email"] = checked
    batch.recipients = recipients
    if batch.save_address:
        resolve(batch.save_address)(session=session, establishment=establishment, key=key,
                                    address=checked)
    return checked


# --- generating ----------------------------------------------------------------------------------


def start(session: Session, runtime: Runtime, establishment: Establishment, batch: LetterBatch,
          *, template: MailTemplate, by_mail: bool, by_print: bool,
          user: User | None = None) -> int:
    """Check the choices and queue the generation as a job; return the job's id. Commit the
    session before the worker needs the batch (the caller's transaction)."""
    if batch.state != DRAFT:
        raise Veto(_("these letters were already generated"))
    if template.document_type != batch.document_type:
        raise Invalid({"template": _("this template is not one of these letters")})
    if not (by_mail or by_print):
        raise Invalid({"mode": _("choose to send by mail, to print, or both")})
    templates.render(templates.fields_of(template), _data(establishment, batch.recipients[0],
                                                          utcnow()),
                     label=template.name or batch.title)
    if by_mail:
        chosen = mail_settings.route(session, runtime.engine, runtime.config, establishment,
                                     user.id if user else None)
        if not mail_settings.is_verified(session, establishment, chosen,
                                         user.id if user else None):
            raise Veto(_("Sending is not allowed until a test mail has gone through with the "
                         "mail settings in force: open the mail settings and send a test mail."))
    job = Job(name=JOB_TARGET, label=batch.title, establishment_id=establishment.id,
              user_id=user.id if user else None, total=len(batch.recipients))
    session.add(job)
    session.flush()
    batch.template_id, batch.by_mail, batch.by_print = template.id, by_mail, by_print
    batch.state, batch.job_id = RUNNING, job.id
    return job.id


def enqueue(runtime: Runtime, batch: LetterBatch) -> None:
    """Hand the batch's job to a worker, once the batch is committed."""
    runtime.huey.run_job(batch.job_id, JOB_TARGET, {"batch_id": batch.id})


def run_now(runtime: Runtime, batch: LetterBatch) -> dict[str, Any]:
    """Run the batch's job in this process (the CLI, tests)."""
    return jobs.run(runtime, batch.job_id, JOB_TARGET, {"batch_id": batch.id})


def run_batch(ctx: TaskContext, batch_id: int) -> dict[str, Any]:
    """The job: one letter per recipient (each committed as it is made, so a job started again
    goes on where it stopped), then the PDF to print."""
    runtime = ctx.runtime
    with runtime.db.session() as session:
        batch = session.scalar(select(LetterBatch).where(LetterBatch.id == batch_id)
                               .options(selectinload(LetterBatch.letters)))
        establishment = session.get(Establishment, batch.establishment_id)
        template = session.get(MailTemplate, batch.template_id)
        fields, recipients = templates.fields_of(template), list(batch.recipients)
        done = {letter.recipient_key for letter in batch.letters}
        archive = mail_settings.of_establishment(session, establishment).archive_letters
        slug = establishment.slug
    progress = ctx.progress
    if progress is not None:
        progress.start(total=len(recipients))
    failures = 0
    for number, recipient in enumerate(recipients, 1):
        if recipient["key"] not in done:
            failures += not _write_letter(runtime, batch_id, recipient, fields, archive)
        if progress is not None:
            progress.advance(number, _("%(done)d of %(total)d letters", done=number,
                                       total=len(recipients)))
    _finish(runtime, batch_id)
    return {"url": f"/{slug}/mail/letters/{batch_id}", "failures": failures}


def _data(establishment: Establishment, recipient: Mapping[str, Any],
          now: dt.datetime) -> dict[str, Any]:
    today = now.astimezone(zoneinfo.ZoneInfo(establishment.timezone)).date()
    return placeholders.merge(dict(recipient.get("data") or {}), {
        "establishment": templates.establishment_data(establishment),
        "recipient": {"name": recipient["name"], "address": recipient["address"]},
        "today": format_date(today, "short", locale=establishment.locale),
    })


def _write_letter(runtime: Runtime, batch_id: int, recipient: Mapping[str, Any],
                  fields: Mapping[str, Any], archive: bool) -> bool:
    """Make (and mail) the letter of one recipient; ``False`` when it could not be made, the
    reason kept on the letter."""
    with runtime.db.transaction() as session:
        batch = session.get(LetterBatch, batch_id)
        establishment = session.get(Establishment, batch.establishment_id)
        user = session.get(User, batch.user_id) if batch.user_id else None
        letter = Letter(establishment_id=establishment.id, batch_id=batch.id,
                        recipient_key=recipient["key"], recipient_name=recipient["name"],
                        archived=archive)
        session.add(letter)
        try:
            rendered = templates.render(fields, _data(establishment, recipient, utcnow()),
                                        label=fields.get("name") or batch.title)
        except TemplateProblem as problem:
            letter.error = problem.describe()
            return False
        letter.subject = rendered.subject
        content = render_letter(establishment, recipient, rendered.document)
        session.flush()
        document = documents.store(
            session, establishment, kind=LETTER_KIND,
            filename=f"{documents.clean_filename(rendered.subject)[:80]}-{letter.id}.pdf",
            content_type="application/pdf", content=content, record_type=BATCH_RECORD,
            record_id=batch.id, permission=SEND_PERMISSION, user=user)
        letter.document_id = document.id
        letter.printed = batch.by_print
        if batch.by_mail and recipient["email"]:
            attach = bool(fields.get("attach_pdf"))
            try:
                message = outbox.queue(
                    session, runtime, establishment, to=recipient["email"],
                    subject=rendered.subject, text=rendered.text if attach else rendered.document,
                    attachments=[document] if attach else [], user=user,
                    document_type=batch.document_type, record=f"letter:{letter.id}",
                    archived=archive)
            except (Invalid, Veto) as exc:
                letter.error = str(exc)
                return False
            letter.mail_message_id = message.id
        elif batch.by_mail:
            letter.error = _("no e-mail address")
    return True


def _finish(runtime: Runtime, batch_id: int) -> None:
    with runtime.db.transaction() as session:
        batch = session.scalar(select(LetterBatch).where(LetterBatch.id == batch_id)
                               .options(selectinload(LetterBatch.letters)
                                        .selectinload(Letter.document)))
        establishment = session.get(Establishment, batch.establishment_id)
        if batch.by_print:
            pages = [letter.document.content for letter in batch.letters if letter.document]
            if pages:
                batch.print_document_id = documents.store(
                    session, establishment, kind=PRINT_KIND,
                    filename=f"{documents.clean_filename(batch.title)}.pdf",
                    content_type="application/pdf", content=pdf_batch.merge(pages),
                    record_type=BATCH_RECORD, record_id=batch.id,
                    permission=SEND_PERMISSION).id
        batch.state, batch.finished_at = DONE, utcnow()


# --- the archive of sent letters ---------------------------------------------------------------


def archive(session: Session, establishment: Establishment | int, limit: int = 500
            ) -> list[Letter]:
    """The archived letters, newest first (seed 000: view, reprint, send again by mail)."""
    return list(session.scalars(
        select_for(establishment, Letter, Letter.archived.is_(True),
                   Letter.document_id.is_not(None))
        .options(selectinload(Letter.batch), selectinload(Letter.document),
                 selectinload(Letter.mail_message))
        .order_by(Letter.id.desc()).limit(limit)))


def resend(session: Session, runtime: Runtime, establishment: Establishment, letter_id: int, *,
           to: str | None = None, user: User | None = None) -> MailMessage:
    """Mail an archived letter again, to ``to`` or to the address it was mailed to."""
    letter = get_for(session, establishment, Letter, letter_id)
    if letter is None or not letter.archived or letter.document is None:
        raise NotFound(_("no archived letter %(id)s here", id=letter_id))
    earlier = letter.mail_message
    recipients = to if to and to.strip() else (earlier.recipients if earlier else [])
    if not recipients:
        raise Invalid({"recipients": _("enter the address to send this letter to")})
    text = earlier.text_body if earlier is not None and earlier.attachments else _(
        "Hello,\n\nPlease find our letter attached.\n")
    message = outbox.queue(session, runtime, establishment, to=recipients,
                           subject=letter.subject, text=text, attachments=[letter.document],
                           user=user, document_type=letter.batch.document_type,
                           record=f"letter:{letter.id}", archived=True)
    return message


# --- the document --------------------------------------------------------------------------------


def render_letter(establishment: Establishment, recipient: Mapping[str, Any], text: str) -> bytes:
    """An A4 letter: the establishment's letterhead, the recipient's name and postal address
    where a window envelope shows them, then the text (paragraphs split on blank lines)."""
    fonts.register()
    body = ParagraphStyle("body", fontName=fonts.REGULAR, fontSize=10.5, leading=14,
                          spaceAfter=7)
    head = ParagraphStyle("head", parent=body, fontName=fonts.BOLD, fontSize=12)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=22 * mm, rightMargin=22 * mm,
                                 topMargin=18 * mm, bottomMargin=18 * mm, invariant=True,
                                 title=str(recipient.get("name", "")),
                                 author=establishment.name)

    def lines(value: str) -> str:
        return "<br/>".join(escape(line) for line in value.splitlines())

    sender = [Paragraph(escape(establishment.name), head),
              Paragraph(lines(establishment.address), body)]
    addressee = [Paragraph(escape(str(recipient.get("name", ""))), head),
                 Paragraph(lines(str(recipient.get("address", ""))), body)]
    story = [Table([[sender, addressee]], colWidths=[90 * mm, 76 * mm]), Spacer(1, 14 * mm)]
    for paragraph in text.replace("\r\n", "\n").split("\n\n"):
        if paragraph.strip():
            story.append(Paragraph(lines(paragraph.strip("\n")), body))
    document.build(story)
    return buffer.getvalue()
