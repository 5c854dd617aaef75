"""The printable badge: a credit-card sized PDF (ISO/IEC 7810 ID-1, 85.60 × 53.98 mm) with
the photo, number, name, first name, legal name and the QR code of the badge URL, in Régie's
fonts, which print every European name ("Ølga Ščerbakova") and Cyrillic."""

from __future__ import annotations

import io

import segno
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from regie.api import PDF_FONT, PDF_FONT_BOLD, register_pdf_fonts
from regie_markets.models import Trader

WIDTH, HEIGHT = 85.60 * mm, 53.98 * mm
MARGIN = 3 * mm


def qr_png(url: str, scale: int = 6) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=scale, border=1)
    return buffer.getvalue()


def _fit(text: str, font: str, size: float, width: float) -> str:
    while text and stringWidth(text, font, size) > width:
        text = text[:-1]
    return text


def badge_pdf(trader: Trader, url: str, establishment_name: str,
              photo: bytes | None = None) -> bytes:
    register_pdf_fonts()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(WIDTH, HEIGHT), initialFontName=PDF_FONT)
    pdf.setTitle(f"Badge {trader.number}")
    pdf.setFillColorRGB(0.11, 0.31, 0.55)
    pdf.rect(0, HEIGHT - 8 * mm, WIDTH, 8 * mm, stroke=0, fill=1)
    pdf.setFillColorRGB(1, 1, 1)
    pdf.setFont(PDF_FONT_BOLD, 8)
    pdf.drawString(MARGIN, HEIGHT - 5.5 * mm, _fit(establishment_name, PDF_FONT_BOLD, 8,
                                                    WIDTH - 2 * MARGIN))
    photo_w, photo_h = 22 * mm, 28 * mm
    top = HEIGHT - 10 * mm
    if photo:
        pdf.drawImage(ImageReader(io.BytesIO(photo)), MARGIN, top - photo_h, photo_w, photo_h,
                      preserveAspectRatio=True, anchor="c")
    else:
        pdf.setStrokeColorRGB(0.6, 0.6, 0.6)
        pdf.rect(MARGIN, top - photo_h, photo_w, photo_h)
    qr_size = 24 * mm
    pdf.drawImage(ImageReader(io.BytesIO(qr_png(url))), WIDTH - MARGIN - qr_size,
                  MARGIN, qr_size, qr_size)
    text_x = MARGIN + photo_w + 3 * mm
    text_w = WIDTH - text_x - MARGIN
    pdf.setFillColorRGB(0, 0, 0)
    pdf.setFont(PDF_FONT_BOLD, 14)
    pdf.drawString(text_x, top - 5 * mm, f"N° {trader.number}")
    pdf.setFont(PDF_FONT_BOLD, 9)
    pdf.drawString(text_x, top - 10 * mm, _fit(trader.last_name.upper(), PDF_FONT_BOLD, 9,
                                                text_w))
    pdf.setFont(PDF_FONT, 9)
    pdf.drawString(text_x, top - 14 * mm, _fit(trader.first_name, PDF_FONT, 9, text_w))
    pdf.setFont(PDF_FONT, 7)
    pdf.drawString(MARGIN, MARGIN + 1 * mm,
                   _fit(trader.legal_name, PDF_FONT, 7,
                        WIDTH - 2 * MARGIN - qr_size - 2 * mm))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
