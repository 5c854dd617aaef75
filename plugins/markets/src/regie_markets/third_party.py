""""Initialiser Tiers": the request to create the trader as a third party (tiers) in the
finance system, pre-filled from the trader's record, as a CSV the finance office imports and a
printable A4 form it attaches. The number the finance system gives back is noted in the
record's "third-party number".

The record has no e-mail address nor bank details: the request keeps their places, blank, for
the finance office or the trader to fill in.
"""

from __future__ import annotations

import datetime as dt
import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from regie.api import PDF_FONT, PDF_FONT_BOLD, Establishment, register_pdf_fonts
from regie.api import gettext as _
from regie_markets.models import Trader

WIDTH, HEIGHT = A4
MARGIN = 18 * mm
LABEL_WIDTH = 62 * mm


def is_company(trader: Trader) -> bool:
    """A legal name other than the person's name is a company's (personne morale); the
    record holds the manager's name then."""
    person = f"{trader.last_name.upper()} {trader.first_name}".strip()
    return trader.legal_name.strip().casefold() not in ("", person.casefold())


def request_fields(trader: Trader, establishment: Establishment, today: dt.date,
                   requested_by: str) -> list[tuple[str, str]]:
    """The request as (label, value) pairs, in the order of the CSV columns and the form."""
    siret = trader.siret or ""
    return [
        (_("Request date"), today.strftime("%d/%m/%Y")),
        (_("Requested by"), f"{establishment.name} · {requested_by}"),
        (_("Third-party category"), _("Company") if is_company(trader)
         else _("Natural person")),
        (_("Legal name"), trader.legal_name),
        (_("SIRET"), siret),
        (_("SIREN"), siret[:9]),
        (_("NIC"), siret[9:]),
        (_("Legal representative: name"), trader.last_name),
        (_("Legal representative: first name"), trader.first_name),
        (_("Address"), trader.address),
        (_("Postcode"), trader.postcode),
        (_("City"), trader.city),
        (_("Country"), _("France")),
        (_("Mobile"), trader.mobile),
        (_("E-mail"), ""),
        (_("IBAN"), ""),
        (_("BIC"), ""),
        (_("Activity (sales nature)"), trader.sales_nature.label if trader.sales_nature else ""),
        (_("Trader number (markets)"), str(trader.number)),
        (_("Current third-party number"), trader.third_party_number),
    ]


def request_pdf(fields: list[tuple[str, str]], establishment: Establishment,
                trader: Trader) -> bytes:
    """The printable request: one A4 page, blank lines where the record has nothing, and the
    box where the finance office writes the number it gave."""
    register_pdf_fonts()
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=A4, invariant=1, initialFontName=PDF_FONT)
    pdf.setTitle(_("Third-party creation request · trader %(number)d", number=trader.number))
    pdf.setAuthor(establishment.name)
    y = HEIGHT - MARGIN
    pdf.setFont(PDF_FONT_BOLD, 15)
    pdf.drawString(MARGIN, y, _("Third-party creation request"))
    y -= 7 * mm
    pdf.setFont(PDF_FONT, 10)
    pdf.drawString(MARGIN, y, _("For the finance system, from the markets' trader record"))
    y -= 12 * mm
    value_x, value_width = MARGIN + LABEL_WIDTH, WIDTH - 2 * MARGIN - LABEL_WIDTH
    for label, value in fields:
        labels = simpleSplit(label, PDF_FONT_BOLD, 9.5, LABEL_WIDTH - 4 * mm)
        values = simpleSplit(value, PDF_FONT, 10, value_width) if value else []
        if not values:
            pdf.setStrokeColorRGB(0.6, 0.6, 0.6)
            pdf.line(value_x, y - 1, WIDTH - MARGIN, y - 1)
        pdf.setFont(PDF_FONT_BOLD, 9.5)
        for row, line in enumerate(labels):
            pdf.drawString(MARGIN, y - row * 5 * mm, line)
        pdf.setFont(PDF_FONT, 10)
        for row, line in enumerate(values):
            pdf.drawString(value_x, y - row * 5 * mm, line)
        y -= max(len(labels), len(values), 1) * 5 * mm + 2.5 * mm
    y -= 6 * mm
    pdf.setStrokeColorRGB(0, 0, 0)
    pdf.rect(MARGIN, y - 24 * mm, WIDTH - 2 * MARGIN, 28 * mm)
    pdf.setFont(PDF_FONT_BOLD, 10)
    pdf.drawString(MARGIN + 4 * mm, y - 4 * mm, _("For the finance office"))
    pdf.setFont(PDF_FONT, 10)
    pdf.drawString(MARGIN + 4 * mm, y - 12 * mm,
                   _("Third-party number given: ______________________"))
    pdf.drawString(MARGIN + 4 * mm, y - 20 * mm,
                   _("Date: ____________   Signature: ______________________"))
    pdf.setFont(PDF_FONT, 8)
    pdf.drawString(MARGIN, MARGIN / 2, _("Note the number given in the trader's record "
                                         "(third-party number)."))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
