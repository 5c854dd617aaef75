"""Receipts by mail (seed 003): the receipt PDF of a succeeded payment, always attached, with the
establishment's receipt template filled in from the receipt's data."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy.orm import Session

from regie.builtin.mail import RECEIPT
from regie.db.documents import Document
from regie.db.mail import MailMessage
from regie.db.models import Establishment, User
from regie.documents.receipt import ReceiptData
from regie.engine import Engine
from regie.services import documents
from regie.services.mail import addresses, outbox, placeholders, templates

if TYPE_CHECKING:
    from regie.runtime import Runtime

#: The format of a receipt sent by mail when none was issued as PDF yet (seed: « petit format »).
MAIL_RENDERER = "receipt_roll"


@attrs.frozen
class ReceiptDraft:
    """What the sending assistant shows first: recipients, subject and text from the template."""

    recipients: list[str]
    subject: str
    text: str
    html: str
    forget_recipients: bool


def template_data(receipt: ReceiptData, establishment: Establishment) -> dict[str, Any]:
    """A receipt as the template's plain data (the placeholders of :mod:`regie.builtin.mail`)."""
    return {
        "establishment": templates.establishment_data(establishment),
        "receipt": {"number": receipt.number_text, "date": receipt.date_text,
                    "total": receipt.money(receipt.total), "method": receipt.payment_method,
                    "till": receipt.till_code, "reference": receipt.reference},
        "cashier": {"name": receipt.cashier},
        "payer": {"name": receipt.payer},
    }


def draft(session: Session, engine: Engine, establishment: Establishment, payment: Any,
          enabled: Iterable[str] | None = None) -> ReceiptDraft:
    """The mail the establishment's receipt template gives for ``payment``. A payment with no
    address on record is a walk-in customer's: their address is not kept after sending."""
    kind = placeholders.document_type(engine, RECEIPT, enabled)
    fields = templates.current_fields(session, establishment, kind)
    data = template_data(documents.receipt_data(session, engine, payment), establishment)
    rendered = templates.render(fields, data, label=str(kind.label))
    recipients = templates.recipients(fields, {"payer": payment.payer_email})
    return ReceiptDraft(recipients, rendered.subject, rendered.text, rendered.html,
                        forget_recipients=not payment.payer_email)


def receipt_document(session: Session, engine: Engine, payment: Any,
                     user: User | None = None) -> Document:
    """The receipt PDF to attach: the last one issued as PDF, else a new one (the original)."""
    issued = [document for document in documents.for_record(
        session, payment.establishment_id, documents.PAYMENT, payment.id, kind=documents.RECEIPT)
        if document.content_type == "application/pdf"]
    if issued:
        return issued[-1]
    return documents.issue_receipt(session, engine, payment, renderer_code=MAIL_RENDERER,
                                   user=user)


def queue_receipt(session: Session, runtime: Runtime, establishment: Establishment,
                  payment: Any, *, to: str | Iterable[str], subject: str, text: str,
                  html: str = "", uploads: Sequence[outbox.Upload] = (),
                  user: User | None = None, forget_recipients: bool = False) -> MailMessage:
    """Queue the receipt of ``payment`` by mail, its PDF attached first (it cannot be left
    out), then the user's ``uploads``."""
    recipients = addresses.parse(to)
    document = receipt_document(session, runtime.engine, payment, user)
    return outbox.queue(session, runtime, establishment, to=recipients, subject=subject,
                        text=text, html=html, attachments=[document], uploads=uploads,
                        user=user, document_type=RECEIPT, record=record_of(payment),
                        forget_recipients=forget_recipients)


def record_of(payment: Any) -> str:
    return f"{documents.PAYMENT}:{payment.id}"
