"""Documents: finding renderers, storing what they produce, and receipts of payments.

A renderer (``regie_document_renderers``) turns plain data into ``(filename, content_type,
bytes)``. What must be kept — a receipt handed to a customer, a PDF waiting in the mail outbox —
is stored as a :class:`~regie.db.documents.Document` with its size, SHA-256 and the record it
belongs to; it is downloaded only by members of its establishment holding the permission that
shows that record.

Receipts: the first receipt issued for a payment is the original; every later one is a
duplicate, marked ``DUPLICATA``, stored too and recorded in the audit trail (who reprinted
what, when).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zoneinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from regie.db.documents import Document
from regie.db.models import Establishment, User
from regie.db.money import LedgerAccount, Payment
from regie.db.tenancy import get_for, lock, select_for
from regie.declarations import DocumentRenderer
from regie.documents.receipt import ReceiptData, ReceiptLine
from regie.engine import Engine
from regie.i18n import gettext as _
from regie.i18n import in_locale
from regie.services import audit
from regie.services.errors import Invalid, NotFound

RECEIPT = "receipt"
PAYMENT = "payment"
#: Renderers whose code starts with this take a :class:`ReceiptData`: the core's
#: (``receipt_roll``, ``receipt_a4``, ``receipt_text``, ``receipt_text_narrow``) and any a
#: plugin adds (a printer's own layout or code page).
RECEIPT_PREFIX = "receipt_"
DEFAULT_RECEIPT_RENDERER = "receipt_roll"
#: Who may download a payment's receipts: whoever may see the payment.
PAYMENT_PERMISSION = "payments.view"
_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


# --- renderers -----------------------------------------------------------------------------------


def renderers(engine: Engine, enabled: Any = None) -> dict[str, DocumentRenderer]:
    """Code → renderer, the core's and (with ``enabled``) only those of enabled plugins."""
    return {item.code: item for item in engine.items("regie_document_renderers", enabled=enabled)}


def renderer(engine: Engine, code: str, enabled: Any = None) -> DocumentRenderer:
    found = renderers(engine, enabled)
    if code not in found:
        raise NotFound(_("no document renderer '%(code)s'; known: %(known)s", code=code,
                         known=", ".join(sorted(found)) or "-"))
    return found[code]


def receipt_renderers(engine: Engine, enabled: Any = None) -> list[DocumentRenderer]:
    """The renderers that print receipts, in hook order (the core's first)."""
    return [item for code, item in renderers(engine, enabled).items()
            if code.startswith(RECEIPT_PREFIX)]


def render(engine: Engine, code: str, data: Any, enabled: Any = None) -> tuple[str, str, bytes]:
    """``(filename, content_type, content)`` of ``data`` rendered by renderer ``code``."""
    return renderer(engine, code, enabled).render(data)


# --- stored documents ----------------------------------------------------------------------------


def clean_filename(filename: str) -> str:
    """``filename`` without path parts, control characters or characters Windows refuses."""
    name = unicodedata.normalize("NFC", str(filename)).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_FILENAME.sub("_", name).strip(" .")
    return name[:255]


def store(session: Session, establishment: Establishment, *, kind: str, filename: str,
          content_type: str, content: bytes, record_type: str, record_id: int | str,
          permission: str, renderer: str = "", user: User | None = None) -> Document:
    """Keep ``content`` as a document of ``establishment`` belonging to the record
    ``(record_type, record_id)``, downloadable by members holding ``permission``."""
    errors: dict[str, str] = {}
    for field, value in (("kind", kind), ("record_type", record_type),
                         ("record_id", str(record_id)), ("permission", permission),
                         ("content_type", content_type)):
        if not str(value).strip():
            errors[field] = _("is required")
    name = clean_filename(filename)
    if not name:
        errors["filename"] = _("is required")
    if not isinstance(content, bytes | bytearray):
        errors["content"] = _("must be bytes, not %(type)s", type=type(content).__name__)
    if errors:
        raise Invalid(errors)
    content = bytes(content)
    document = Document(
        establishment_id=establishment.id, kind=kind, renderer=renderer, filename=name,
        content_type=content_type, size=len(content), sha256=hashlib.sha256(content).hexdigest(),
        content=content, record_type=record_type, record_id=str(record_id),
        permission=permission, created_by_id=user.id if user else None)
    session.add(document)
    session.flush()
    return document


def fetch(session: Session, establishment: Establishment | int, document_id: int) -> Document:
    """The document ``document_id`` of ``establishment``; :class:`NotFound` for any other
    establishment's, exactly as for one that does not exist."""
    document = get_for(session, establishment, Document, document_id)
    if document is None:
        raise NotFound(_("no document %(id)s", id=document_id))
    return document


def for_record(session: Session, establishment: Establishment | int, record_type: str,
               record_id: int | str, kind: str | None = None) -> list[Document]:
    """The documents of a record, oldest first."""
    statement = select_for(establishment, Document, Document.record_type == record_type,
                           Document.record_id == str(record_id))
    if kind is not None:
        statement = statement.where(Document.kind == kind)
    return list(session.scalars(statement.order_by(Document.id)))


# --- receipts ----------------------------------------------------------------------------------


def receipt_data(session: Session, engine: Engine, payment: Payment, *, duplicate: bool = False,
                 till_code: str = "") -> ReceiptData:
    """The receipt of a succeeded ``payment`` as plain data: establishment letterhead, number,
    date in the establishment's time zone, what was paid, payment method and the cashier who
    recorded it."""
    if payment.receipt_number is None:
        raise Invalid({"payment": _("payment %(reference)s has no receipt: it has not succeeded",
                                    reference=payment.reference)})
    establishment = session.get(Establishment, payment.establishment_id)
    issued = (payment.succeeded_at or payment.created_at).astimezone(
        zoneinfo.ZoneInfo(establishment.timezone))
    description = payment.description or payment.reference
    return ReceiptData(
        establishment_name=establishment.name,
        establishment_address=establishment.address,
        logo=establishment.logo or None,
        locale=establishment.locale,
        currency=payment.currency,
        receipt_number=payment.receipt_number,
        issued_at=issued,
        lines=(ReceiptLine(description, payment.amount),),
        total=payment.amount,
        payment_method=_method_label(engine, payment.method, establishment.locale),
        till_code=till_code,
        cashier=_cashier(session, payment.created_by),
        payer=payment.payer_name or _payer(session, payment),
        reference=payment.reference,
        duplicate=duplicate,
    )


def receipts_of(session: Session, payment: Payment) -> list[Document]:
    """The receipts issued for ``payment``, the original first."""
    return for_record(session, payment.establishment_id, PAYMENT, payment.id, kind=RECEIPT)


def issue_receipt(session: Session, engine: Engine, payment: Payment, *,
                  renderer_code: str = DEFAULT_RECEIPT_RENDERER, user: User | None = None,
                  till_code: str = "", enabled: Any = None) -> Document:
    """Render and store a receipt of ``payment``: the original the first time, a duplicate
    (audited as a reprint) after that. Runs inside the caller's write transaction.

    ``renderer_code`` names one of :func:`receipt_renderers` (of the core and, with
    ``enabled``, of the plugins enabled in the establishment)."""
    establishment = session.get(Establishment, payment.establishment_id)
    if not renderer_code.startswith(RECEIPT_PREFIX):
        raise Invalid({"renderer": _("'%(code)s' does not print receipts", code=renderer_code)})
    chosen = renderer(engine, renderer_code, enabled)
    # One original only, even when two cashiers print at the same moment.
    session.execute(lock(select_for(establishment, Payment, Payment.id == payment.id)))
    issued = for_record(session, establishment, PAYMENT, payment.id, kind=RECEIPT)
    data = receipt_data(session, engine, payment, duplicate=bool(issued), till_code=till_code)
    filename, content_type, content = chosen.render(data)
    document = store(session, establishment, kind=RECEIPT, filename=filename,
                     content_type=content_type, content=content, record_type=PAYMENT,
                     record_id=payment.id, permission=PAYMENT_PERMISSION, renderer=chosen.code,
                     user=user)
    audit.record(session, "receipt.reprint" if issued else "receipt.issue",
                 establishment=establishment, user=user, target=f"payment:{payment.id}",
                 details={"reference": payment.reference, "receipt": payment.receipt_number,
                          "document": document.id, "renderer": chosen.code})
    return document


def _method_label(engine: Engine, code: str, locale: str) -> str:
    for method in engine.items("regie_payment_methods"):
        if method.code == code:
            with in_locale(locale):
                return str(method.label)
    return code


def _cashier(session: Session, username: str) -> str:
    """The name of the staff member who recorded the payment; nothing for payments that came
    in without one (online, imported)."""
    user = session.scalar(select(User).where(User.username == username)) if username else None
    return (user.full_name or user.username) if user else ""


def _payer(session: Session, payment: Payment) -> str:
    account = session.get(LedgerAccount, payment.account_id)
    return account.label if account is not None else ""
