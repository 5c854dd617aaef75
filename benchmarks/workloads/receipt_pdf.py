"""receipt-pdf: 80 mm roll receipts rendered to PDF, from :class:`regie.documents.ReceiptData`.

Régie measures each block, wraps long descriptions, fits the page to the content and formats
amounts and dates through Babel for the establishment's locale. The baseline draws the same
content (logo, DejaVu fonts, letterhead, lines, total) straight on a reportlab canvas at fixed
positions. Both embed the same PNG logo and font subsets; the ratio is the baseline's time ÷
Régie's for the same receipts (target ≥ 0.5).
"""

from __future__ import annotations

import datetime as dt
import io
import random
import zoneinfo

from babel.dates import format_datetime
from babel.numbers import format_currency
from PIL import Image, ImageDraw
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from benchmarks.instance import Instance
from benchmarks.workloads import BatchWorkload
from regie.documents import ReceiptData, ReceiptLine, fonts, render_roll_receipt
from regie.services import establishments
from regie.services.money import Money

RECEIPTS = 200
ARTICLES = ["Vis à bois 4x40 (boîte de 200)", "Cheville nylon 6 mm", "Perceuse sans fil 18 V",
            "Mètre ruban 5 m", "Colle bois 250 g", "Gants de travail taille 9", "Sac",
            "Ampoule LED E27 806 lm", "Rallonge électrique 10 m", "Peinture blanche 2,5 L"]
METHODS = ["Espèces", "Carte bancaire", "Chèque"]


def _logo() -> bytes:
    image = Image.new("RGBA", (400, 160), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((10, 10, 390, 150), 30, fill=(200, 60, 30, 255))
    draw.ellipse((40, 40, 120, 120), fill=(255, 255, 255, 255))
    draw.rectangle((150, 60, 360, 100), fill=(255, 255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def prepare(instance: Instance) -> list[ReceiptData]:
    """A shop with its logo, and ``RECEIPTS`` receipts of 1 to 8 lines (seeded, the same for
    both sides)."""
    runtime = instance.runtime
    with runtime.db.transaction() as session:
        shop = establishments.create(
            session, runtime.engine, slug="brico", name="BRICO",
            address="12 rue des Lilas\n75011 Paris", logo=_logo(), logo_type="image/png")
    tz = zoneinfo.ZoneInfo(shop.timezone)
    chance = random.Random(4)
    start = dt.datetime(2025, 3, 12, 8, 0, tzinfo=tz)
    receipts = []
    for number in range(1, RECEIPTS + 1):
        lines = []
        for article in chance.sample(ARTICLES, chance.randint(1, 8)):
            quantity, unit = chance.randint(1, 3), chance.randint(10, 15000)
            lines.append(ReceiptLine(article, quantity * unit, quantity, unit))
        receipts.append(ReceiptData(
            establishment_name=shop.name, establishment_address=shop.address, logo=shop.logo,
            locale=shop.locale, currency=shop.currency, receipt_number=number,
            issued_at=start + dt.timedelta(minutes=7 * number), till_code="C1",
            cashier="DUPOND", lines=lines, total=sum(line.amount for line in lines),
            payment_method=chance.choice(METHODS), reference=f"PAY-{number:06d}"))
    render_roll_receipt(receipts[0])
    _Baseline.render(receipts[0])
    return receipts


def regie(instance: Instance, receipts: list[ReceiptData]) -> None:
    for data in receipts:
        render_roll_receipt(data)


def baseline(instance: Instance, receipts: list[ReceiptData]) -> None:
    for data in receipts:
        _Baseline.render(data)


class _Baseline:
    """The same receipt drawn with nothing but the canvas: fixed line heights, no wrapping."""

    REGULAR, BOLD = "BaselineSans", "BaselineSans-Bold"
    _logos: dict[bytes, ImageReader] = {}

    @classmethod
    def render(cls, data: ReceiptData) -> bytes:
        if cls.REGULAR not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(cls.REGULAR, str(fonts.FOLDER / "DejaVuSans.ttf")))
            pdfmetrics.registerFont(TTFont(cls.BOLD, str(fonts.FOLDER / "DejaVuSans-Bold.ttf")))
        logo = cls._logos.get(data.logo)
        if logo is None:
            logo = cls._logos[data.logo] = ImageReader(io.BytesIO(data.logo))

        def money(minor: int) -> str:
            return format_currency(Money(minor, data.currency).decimal, data.currency,
                                   locale=data.locale)

        width, margin, step = 80 * mm, 4 * mm, 11
        address = data.establishment_address.splitlines()
        quantity_lines = sum(1 for line in data.lines if line.quantity != 1)
        height = 2 * margin + 20 * mm + 40 + step * (len(address) + len(data.lines)
                                                     + quantity_lines + 8)
        buffer = io.BytesIO()
        canvas = Canvas(buffer, pagesize=(width, height), invariant=True, pageCompression=1)
        y = height - margin - 20 * mm
        canvas.drawImage(logo, width / 2 - 25 * mm, y, 50 * mm, 20 * mm, mask="auto")
        y -= 20
        canvas.setFont(cls.BOLD, 12)
        canvas.drawCentredString(width / 2, y, data.establishment_name)
        canvas.setFont(cls.REGULAR, 7.5)
        for line in address:
            y -= step
            canvas.drawCentredString(width / 2, y, line)
        y -= 2 * step
        canvas.setFont(cls.BOLD, 8)
        canvas.drawString(margin, y, f"Receipt No. {data.receipt_number:06d}")
        canvas.setFont(cls.REGULAR, 8)
        canvas.drawRightString(width - margin, y, format_datetime(
            data.issued_at, "dd/MM/yyyy HH:mm", locale=data.locale))
        y -= step
        canvas.drawString(margin, y, f"Till {data.till_code}")
        canvas.drawRightString(width - margin, y, f"Cashier: {data.cashier}")
        y -= step
        canvas.line(margin, y, width - margin, y)
        canvas.setFont(cls.REGULAR, 8.5)
        for line in data.lines:
            y -= step
            canvas.drawString(margin, y, line.description)
            canvas.drawRightString(width - margin, y, money(line.amount))
            if line.quantity != 1:
                y -= step
                canvas.drawString(margin + 12, y, f"{line.quantity} × {money(line.unit_amount)}")
        y -= step
        canvas.line(margin, y, width - margin, y)
        y -= 2 * step
        canvas.setFont(cls.BOLD, 12)
        canvas.drawString(margin, y, "TOTAL")
        canvas.drawRightString(width - margin, y, money(data.total))
        y -= step
        canvas.setFont(cls.REGULAR, 8)
        canvas.drawString(margin, y, "Paid by")
        canvas.drawRightString(width - margin, y, data.payment_method)
        y -= 2 * step
        canvas.drawCentredString(width / 2, y, "Thank you for your visit")
        canvas.showPage()
        canvas.save()
        return buffer.getvalue()


WORKLOAD = BatchWorkload(
    description=f"{RECEIPTS} receipts rendered to 80 mm roll PDFs with logo and DejaVu fonts, "
                "against the same content drawn on a bare reportlab canvas",
    prepare=prepare,
    regie=regie,
    baseline=baseline,
)
