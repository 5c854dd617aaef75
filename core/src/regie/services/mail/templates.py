"""Mail templates per establishment and document type: what a new one says, checking one when it
is saved (syntax with the line, placeholders, recipients), rendering one over plain data, and the
recipients its rule gives."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs
from sqlalchemy.orm import Session

from regie.db.mail import MailTemplate
from regie.db.models import Establishment, User
from regie.db.tenancy import select_for
from regie.declarations import MailDocumentType
from regie.engine import Engine
from regie.i18n import gettext as _
from regie.i18n import in_locale
from regie.services import audit
from regie.services.errors import Invalid
from regie.services.mail import addresses, placeholders
from regie.services.mail.rendering import TemplateProblem, render_text

TEXT_FIELDS = ("subject", "text_body", "html_body", "document_body")
FLAGS = ("attach_pdf", "to_payer", "to_main_contact")
FIELDS = ("name", *TEXT_FIELDS, *FLAGS, "fixed_recipients")
#: Recipients a template's rule can name, besides its fixed addresses.
RULE_ROLES = ("payer", "main_contact")


@attrs.frozen
class RenderedMail:
    subject: str
    text: str
    html: str = ""
    document: str = ""


def establishment_data(establishment: Establishment) -> dict[str, str]:
    """The establishment as template data (placeholders ``establishment.*``)."""
    return {"name": establishment.name, "address": establishment.address,
            "email": establishment.email}


def defaults(establishment: Establishment, kind: MailDocumentType, name: str = ""
             ) -> dict[str, Any]:
    """The fields of a new template of ``kind``, its texts in the establishment's language."""
    with in_locale(establishment.locale):
        return {
            "name": name, "subject": "", "text_body": str(kind.text), "html_body": str(kind.html),
            "document_body": "", "attach_pdf": kind.attach_pdf, "to_payer": kind.to_payer,
            "to_main_contact": kind.to_main_contact, "fixed_recipients": "",
        }


def find(session: Session, establishment: Establishment | int, document_type: str,
         name: str = "") -> MailTemplate | None:
    return session.scalar(select_for(establishment, MailTemplate,
                                     MailTemplate.document_type == document_type,
                                     MailTemplate.name == name))


def list_for(session: Session, establishment: Establishment | int,
             document_type: str | None = None) -> list[MailTemplate]:
    statement = select_for(establishment, MailTemplate)
    if document_type is not None:
        statement = statement.where(MailTemplate.document_type == document_type)
    return list(session.scalars(statement.order_by(MailTemplate.document_type,
                                                   MailTemplate.name)))


def fields_of(template: MailTemplate) -> dict[str, Any]:
    return {field: getattr(template, field) for field in FIELDS}


def current_fields(session: Session, establishment: Establishment, kind: MailDocumentType,
                   name: str = "") -> dict[str, Any]:
    """The saved template's fields, or the defaults when none was saved."""
    template = find(session, establishment, kind.code, name)
    return fields_of(template) if template else defaults(establishment, kind, name)


def clean(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Form values as template fields: texts stripped of Windows line ends, flags as bools."""
    values: dict[str, Any] = {}
    for field in ("name", *TEXT_FIELDS, "fixed_recipients"):
        values[field] = str(raw.get(field) or "").replace("\r\n", "\n")
    values["name"] = values["name"].strip()
    values["subject"] = " ".join(values["subject"].split())
    for flag in FLAGS:
        value = raw.get(flag)
        values[flag] = value if isinstance(value, bool) else str(value or "").lower() in (
            "1", "true", "on", "yes", "y")
    return values


def problems(engine: Engine, establishment: Establishment, kind: MailDocumentType,
             fields: Mapping[str, Any], enabled: Iterable[str] | None = None) -> dict[str, str]:
    """Field → what is wrong with it, found by rendering every text over the sample values
    (syntax errors with their line, unknown placeholders, reaching outside the data)."""
    errors: dict[str, str] = {}
    data = sample_data(engine, establishment, kind.code, enabled)
    for field in TEXT_FIELDS:
        try:
            render_text(field, fields.get(field, ""), data, html=field == "html_body")
        except TemplateProblem as problem:
            errors[field] = problem.describe()
    if not str(fields.get("text_body", "")).strip():
        errors.setdefault("text_body", _("is required"))
    if kind.letter and not str(fields.get("document_body", "")).strip():
        errors.setdefault("document_body", _("is required"))
    try:
        addresses.parse(fields.get("fixed_recipients", ""), field="fixed_recipients",
                        required=False)
    except Invalid as exc:
        errors.update(exc.errors)
    return errors


def save(session: Session, engine: Engine, establishment: Establishment, kind: MailDocumentType,
         raw: Mapping[str, Any], actor: User | None = None,
         enabled: Iterable[str] | None = None) -> MailTemplate:
    """Create or update the template of ``kind`` named ``raw["name"]``; :class:`Invalid` with
    every problem (and nothing saved) when it cannot be used."""
    fields = clean(raw)
    errors = problems(engine, establishment, kind, fields, enabled)
    if errors:
        raise Invalid(errors)
    fields["fixed_recipients"] = addresses.join(
        addresses.parse(fields["fixed_recipients"], required=False))
    template = find(session, establishment, kind.code, fields["name"])
    if template is None:
        template = MailTemplate(establishment_id=establishment.id, document_type=kind.code)
        session.add(template)
    for field, value in fields.items():
        setattr(template, field, value)
    template.updated_by_id = actor.id if actor else None
    session.flush()
    audit.record(session, "mail.template.save", establishment=establishment, user=actor,
                 target=f"{kind.code}:{fields['name']}" if fields["name"] else kind.code)
    return template


def sample_data(engine: Engine, establishment: Establishment, document_type: str,
                enabled: Iterable[str] | None = None) -> dict[str, Any]:
    """Preview data: the placeholders' samples, with the establishment's real values."""
    samples = placeholders.sample_data(placeholders.for_document(engine, document_type, enabled))
    return placeholders.merge(samples, {"establishment": establishment_data(establishment)})


def default_subject(establishment_name: str, label: str) -> str:
    """The subject of a template that has none: establishment name, then the document's
    designation (seed: « le nom de l'établissement suivi de la désignation de la lettre »)."""
    return f"{establishment_name} - {label}"


def render(fields: Mapping[str, Any], data: Mapping[str, Any], *, label: str) -> RenderedMail:
    """The mail a template gives for ``data``; :class:`TemplateProblem` when it cannot."""
    subject = render_text("subject", fields.get("subject", ""), data).strip()
    if not subject:
        subject = default_subject(str(data.get("establishment", {}).get("name", "")),
                                  fields.get("name") or label)
    return RenderedMail(
        subject=" ".join(subject.split()),
        text=render_text("text_body", fields.get("text_body", ""), data),
        html=render_text("html_body", fields.get("html_body") or "", data, html=True),
        document=render_text("document_body", fields.get("document_body") or "", data),
    )


def recipients(fields: Mapping[str, Any], known: Mapping[str, str]) -> list[str]:
    """The addresses the template's rule names: the payer's and the main contact's (from
    ``known``, when ticked and known), then its fixed addresses."""
    chosen = [known.get(role, "") for role in RULE_ROLES if fields.get(f"to_{role}")]
    return addresses.split([*chosen, *addresses.split(fields.get("fixed_recipients", ""))])
