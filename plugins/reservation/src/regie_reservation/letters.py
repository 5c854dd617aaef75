"""Login letters to families through the core letters (seed: the fields « login », « mot de
passe » and « Adresse site web » of the personalised letters), by mail or on paper, and the
login list as a PDF."""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Table, TableStyle
from sqlalchemy.orm import Session

from regie.api import (
    Establishment,
    MailDocumentType,
    MailPlaceholder,
    prepare_letters,
    select_for,
)
from regie.api import gettext as _
from regie.api import lazy_gettext as _l
from regie_reservation.models import Individual, Responsible

LOGIN_LETTER = "reservation.login_letter"
SAVE_ADDRESS = "regie_reservation.letters:save_address"

DEFAULT_LETTER = _l(
    "Madame, Monsieur,\n\n"
    "The canteen account of {{ pupil.name }} ({{ pupil.class }}) can be topped up and followed "
    "online at {{ site.address }}\n\n"
    "Login: {{ pupil.login }}\nPassword: {{ pupil.password }}\n\n"
    "This is an initialization password: please change it in the Account tab.")


def mail_placeholders() -> list:
    sample = {"pupil.name": "Martin Léa", "pupil.class": "6A", "pupil.login": "lea.martin",
              "pupil.password": "bako-47-rimu",
              "site.address": "https://regie.example.org/college/reservation/portal/"}
    labels = {"pupil.name": _l("Pupil's name"), "pupil.class": _l("Class"),
              "pupil.login": _l("Login"), "pupil.password": _l("Password"),
              "site.address": _l("Web site address")}
    return [
        MailDocumentType(LOGIN_LETTER, _l("Canteen login letter"), text=DEFAULT_LETTER,
                         attach_pdf=False, letter=True),
        *(MailPlaceholder(LOGIN_LETTER, name, labels[name], value,
                          needs=(name.split(".")[0],))
          for name, value in sample.items()),
    ]


def recipient(individual: Individual, site_address: str) -> dict:
    """The letter's recipient for ``individual``: its first responsible with an e-mail."""
    responsible = next((r for r in individual.responsibles if r.email),
                       individual.responsibles[0] if individual.responsibles else None)
    name = responsible.name if responsible and responsible.name else _(
        "Family of %(name)s", name=individual.full_name)
    return {"key": f"individual:{individual.id}", "name": name,
            "email": responsible.email if responsible else "",
            "data": {"pupil": {"name": individual.full_name, "class": individual.class_name,
                               "login": individual.login or "",
                               "password": individual.initial_password
                               or str(_("(chosen by the family)"))},
                     "site": {"address": site_address}}}


def prepare(session: Session, runtime, establishment: Establishment,
            chosen: Sequence[Individual], *, site_address: str, user=None,
            return_url: str = "") -> int:
    """A batch of login letters for ``chosen`` (with a login); returns its id. The core's
    letters page then sends them by mail and/or prints them, asking for missing e-mails."""
    return prepare_letters(
        session, runtime.engine, establishment, document_type=LOGIN_LETTER,
        recipients=[recipient(individual, site_address) for individual in chosen
                    if individual.login],
        title=str(_("Canteen logins")), save_address=SAVE_ADDRESS, return_url=return_url,
        user=user).id


def save_address(session: Session, establishment: Establishment, key: str,
                 address: str) -> None:
    """An e-mail typed on the letters page becomes the responsible's (seed: « Elle sera alors
    enregistrée comme adresse mail du responsable »)."""
    kind, _sep, number = key.partition(":")
    if kind != "individual" or not number.isdigit():
        return
    individual = session.scalar(select_for(establishment, Individual,
                                           Individual.id == int(number)))
    if individual is None:
        return
    if individual.responsibles:
        individual.responsibles[0].email = address.strip()
    else:
        individual.responsibles.append(Responsible(establishment_id=establishment.id,
                                                   name="", email=address.strip()))


def logins_pdf(establishment: Establishment, chosen: Sequence[Individual]) -> bytes:
    """The login list (seed: « Etat / Informations / login et mot de passe »)."""
    output = io.BytesIO()
    document = SimpleDocTemplate(output, pagesize=A4, leftMargin=12 * mm, rightMargin=12 * mm,
                                 topMargin=12 * mm, bottomMargin=12 * mm,
                                 title=str(_("Logins of %(school)s", school=establishment.name)))
    rows = [[_("Name"), _("Class"), _("Login"), _("Password"), _("Connected")]]
    rows += [[individual.full_name, individual.class_name, individual.login or "",
              individual.initial_password or _("(chosen by the family)"),
              _("yes") if individual.last_login_at else _("no")] for individual in chosen]
    table = Table(rows, repeatRows=1, colWidths=[60 * mm, 20 * mm, 45 * mm, 40 * mm, 20 * mm])
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
                               ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
                               ("LINEBELOW", (0, 0), (-1, 0), 0.5, "black")]))
    document.build([table])
    return output.getvalue()
