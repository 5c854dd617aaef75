"""An invoice's duplicate: its two pages cut from the month's PDF, stamped "DUPLICATA"."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from reportlab.lib.colors import Color
from reportlab.pdfgen.canvas import Canvas

from regie.api import PDF_FONT_BOLD, NotFound, register_pdf_fonts
from regie.api import gettext as _
from regie_markets.office_models import Invoice

STAMP = "DUPLICATA"


def _stamp(width: float, height: float) -> PdfReader:
    register_pdf_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), initialFontName=PDF_FONT_BOLD)
    canvas.saveState()
    canvas.setFillColor(Color(0.8, 0.1, 0.1, alpha=0.35))
    canvas.setFont(PDF_FONT_BOLD, 80)
    canvas.translate(width / 2, height / 2)
    canvas.rotate(45)
    canvas.drawCentredString(0, -25, STAMP)
    canvas.restoreState()
    canvas.showPage()
    canvas.save()
    buffer.seek(0)
    return PdfReader(buffer)


def duplicate(book: Path, invoice: Invoice) -> bytes:
    """The PDF of ``invoice``'s two pages of ``book`` (the month's PDF), each stamped."""
    if not book.is_file():
        raise NotFound(_("the PDF of %(month)s is missing", month=f"{invoice.month:%Y-%m}"))
    reader = PdfReader(book)
    if invoice.first_page < 1 or invoice.first_page + 1 > len(reader.pages):
        raise NotFound(_("invoice %(number)s is not in the PDF of its month",
                         number=invoice.number))
    writer = PdfWriter()
    for number in (invoice.first_page, invoice.first_page + 1):
        page = writer.add_page(reader.pages[number - 1])
        box = page.mediabox
        page.merge_page(_stamp(float(box.width), float(box.height)).pages[0])
    writer.add_metadata({"/Title": f"{STAMP} {invoice.number}"})
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()
