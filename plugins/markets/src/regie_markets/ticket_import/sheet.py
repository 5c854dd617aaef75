"""The ticket sheet (seed §5.2.1): a grid to write up to 193 tickets by hand while the system is
down, on 6 A4 pages (3 sheets printed on both sides), in the columns of the import CSV."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from regie.api import PDF_FONT, PDF_FONT_BOLD, register_pdf_fonts

TICKETS = 193
PAGES = 6
ROWS_FIRST = 28
"""The first page keeps room for the batch's header (day, market, placier, batch number)."""
WIDTH, HEIGHT = A4
MARGIN = 36
ROW_HEIGHT = 23

TEXTS = {
    "fr": {"title": "Feuille pour tickets", "batch": "Lot n°", "day": "Date", "market": "Marché",
           "placier": "Placier", "page": "page", "columns": ("N°", "Commerçant (n°-NOM)",
                                                              "Mètres", "Sans badge",
                                                              "Blocage", "Démonstrateur")},
    "en": {"title": "Ticket sheet", "batch": "Batch no.", "day": "Date", "market": "Market",
           "placier": "Placier", "page": "page", "columns": ("No.", "Trader (no.-NAME)",
                                                              "Metres", "No badge", "Blocked",
                                                              "Demonstrator")},
    "uk": {"title": "Аркуш квитків", "batch": "Партія №", "day": "Дата", "market": "Ринок",
           "placier": "Розміщувач", "page": "сторінка", "columns": ("№", "Торговець (№-ІМ'Я)",
                                                                  "Метри", "Без бейджа",
                                                                  "Блокування",
                                                                  "Демонстратор")},
}
COLUMN_X = (MARGIN, MARGIN + 40, MARGIN + 250, MARGIN + 310, MARGIN + 380, MARGIN + 450,
            WIDTH - MARGIN)


def rows_per_page() -> list[int]:
    rest = TICKETS - ROWS_FIRST
    counts = [ROWS_FIRST] + [rest // (PAGES - 1)] * (PAGES - 1)
    counts[-1] += rest - sum(counts[1:])
    return counts


def _fitting_size(label: str, width: float, size: float = 9) -> float:
    """The font size, at most ``size``, at which ``label`` fits in ``width``."""
    return min(size, size * width / stringWidth(label, PDF_FONT_BOLD, size))


def ticket_sheet(establishment_name: str, locale: str) -> bytes:
    text = TEXTS.get(locale.partition("_")[0], TEXTS["fr"])
    buffer = io.BytesIO()
    register_pdf_fonts()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, initialFontName=PDF_FONT)
    canvas.setTitle(f"{establishment_name} — {text['title']}")
    first_number = 1
    for page, rows in enumerate(rows_per_page(), start=1):
        top = HEIGHT - MARGIN
        if page == 1:
            canvas.setFont(PDF_FONT_BOLD, 14)
            canvas.drawString(MARGIN, top, f"{establishment_name} — {text['title']}")
            canvas.setFont(PDF_FONT, 11)
            labels = (text["batch"], text["day"], text["market"], text["placier"])
            for index, label in enumerate(labels):
                x = MARGIN + (index % 2) * 260
                y = top - 28 - (index // 2) * 22
                canvas.drawString(x, y, f"{label} :")
                canvas.line(x + 70, y - 2, x + 240, y - 2)
            top -= 85
        for x, end, label in zip(COLUMN_X, COLUMN_X[1:], text["columns"], strict=False):
            canvas.setFont(PDF_FONT_BOLD, _fitting_size(label, end - x - 6))
            canvas.drawString(x + 3, top - 14, label)
        canvas.setFont(PDF_FONT, 9)
        for row in range(rows + 1):
            y = top - 20 - row * ROW_HEIGHT
            canvas.line(MARGIN, y, WIDTH - MARGIN, y)
            if row < rows:
                canvas.drawString(MARGIN + 3, y - 15, str(first_number + row))
        bottom = top - 20 - rows * ROW_HEIGHT
        for x in COLUMN_X:
            canvas.line(x, top, x, bottom)
        canvas.line(MARGIN, top, WIDTH - MARGIN, top)
        canvas.setFont(PDF_FONT, 8)
        canvas.drawRightString(WIDTH - MARGIN, 20, f"{text['page']} {page}/{PAGES}")
        first_number += rows
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
