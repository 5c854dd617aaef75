"""The invoicing PDFs: every invoice of a month on two A4 pages each, and the index of the last
page of each market.

The month's PDF is written invoice by invoice on one reportlab canvas writing to a file, with
compressed pages; nothing else of the month is kept in memory. Texts are printed in the
establishment's language (the job runs outside any web request), in Régie's fonts, which have
the accents, the Cyrillic letters and "€".
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from pathlib import Path

import attrs
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.textobject import PDFTextObject

from regie.api import PDF_FONT, PDF_FONT_BOLD, Money, format_money, register_pdf_fonts

WIDTH, HEIGHT = A4
MARGIN = 50
LINE = 12.5
DETAIL_ROWS = 56
"""Ticket rows per column on the detail page (two columns)."""
DETAIL_SIZE = 8

TEXTS = {
    "fr": {
        "invoice": "FACTURE", "number": "Facture n°", "month": "Mois facturé", "issued": "Émise le",
        "due": "À régler avant le", "trader": "Commerçant n°", "siret": "SIRET",
        "market": "Marché de distribution", "summary": "Récapitulatif par marché",
        "tickets": "tickets", "metres": "mètres", "total": "Total à payer",
        "pay": "Paiement à la régie des marchés sur présentation de cette facture, ou en ligne "
               "depuis votre fiche (QR-code de votre badge).",
        "detail": "Détail des tickets", "day": "Jour", "amount": "Montant", "page": "page",
        "more": "autres tickets", "index": "Index des pages par marché",
        "first": "Première page", "last": "Dernière page", "invoices": "Factures",
    },
    "en": {
        "invoice": "INVOICE", "number": "Invoice no.", "month": "Month invoiced",
        "issued": "Issued on", "due": "To pay before", "trader": "Trader no.", "siret": "SIRET",
        "market": "Distribution market", "summary": "Summary per market", "tickets": "tickets",
        "metres": "metres", "total": "Total due",
        "pay": "Pay at the markets' cash office with this invoice, or online from your record "
               "(QR code of your badge).",
        "detail": "Tickets", "day": "Day", "amount": "Amount", "page": "page",
        "more": "more tickets", "index": "Page index per market", "first": "First page",
        "last": "Last page", "invoices": "Invoices",
    },
    "uk": {
        "invoice": "РАХУНОК", "number": "Рахунок №", "month": "Місяць", "issued": "Виставлено",
        "due": "Сплатити до", "trader": "Торговець №", "siret": "SIRET",
        "market": "Ринок доставки", "summary": "Підсумок за ринками", "tickets": "квитків",
        "metres": "метрів", "total": "До сплати",
        "pay": "Оплата в касі ринків за цим рахунком або онлайн з вашої картки (QR-код бейджа).",
        "detail": "Квитки", "day": "День", "amount": "Сума", "page": "сторінка",
        "more": "інших квитків", "index": "Покажчик сторінок за ринками",
        "first": "Перша сторінка", "last": "Остання сторінка", "invoices": "Рахунки",
    },
}


def texts(locale: str) -> dict[str, str]:
    return TEXTS.get(locale.partition("_")[0], TEXTS["fr"])


@attrs.frozen
class Issuer:
    name: str
    address: str
    locale: str
    currency: str


@attrs.frozen
class Line:
    day: dt.date
    market: str
    metres: int
    tariff: str
    amount: int


@attrs.define
class InvoiceData:
    number: str
    month: dt.date
    issued_on: dt.date
    due_on: dt.date
    trader_number: int
    legal_name: str
    address: str
    siret: str
    market: str
    amount: int
    lines: Sequence[Line]


class InvoiceBook:
    """The month's PDF being written; :meth:`add` draws one invoice (two pages)."""

    def __init__(self, path: Path, issuer: Issuer, title: str) -> None:
        register_pdf_fonts()
        self.issuer = issuer
        self.text = texts(issuer.locale)
        self.canvas = Canvas(str(path), pagesize=A4, pageCompression=1, invariant=1,
                             initialFontName=PDF_FONT)
        self.canvas.setTitle(title)
        self.canvas.setAuthor(issuer.name)
        self.pages = 0
        self.pay_lines = simpleSplit(self.text["pay"], PDF_FONT, 9, WIDTH - 2 * MARGIN)
        self.money = functools.lru_cache(maxsize=4096)(self._money)

    def _money(self, amount: int) -> str:
        return format_money(Money(amount, self.issuer.currency), self.issuer.locale)

    def add(self, invoice: InvoiceData) -> int:
        """Draw ``invoice``; return its first page number (1-based)."""
        first = self.pages + 1
        draw_invoice(self, invoice)
        return first

    def close(self) -> None:
        self.canvas.save()


def _footer(book: InvoiceBook, invoice: InvoiceData) -> None:
    canvas = book.canvas
    book.pages += 1
    canvas.setFont(PDF_FONT, 8)
    canvas.drawString(MARGIN, 30, f"{book.text['number']} {invoice.number}")
    canvas.drawRightString(WIDTH - MARGIN, 30, f"{book.text['page']} {book.pages}")
    canvas.showPage()


def draw_invoice(book: InvoiceBook, invoice: InvoiceData) -> None:
    """The invoice's summary page, then its ticket detail page."""
    canvas, text, money = book.canvas, book.text, book.money
    y = HEIGHT - MARGIN
    canvas.setFont(PDF_FONT_BOLD, 12)
    canvas.drawString(MARGIN, y, book.issuer.name)
    canvas.setFont(PDF_FONT, 9)
    for part in book.issuer.address.splitlines()[:4]:
        y -= LINE
        canvas.drawString(MARGIN, y, part)
    canvas.setFont(PDF_FONT_BOLD, 20)
    canvas.drawRightString(WIDTH - MARGIN, HEIGHT - MARGIN, text["invoice"])
    canvas.setFont(PDF_FONT, 10)
    facts = [(text["number"], invoice.number), (text["month"], f"{invoice.month:%m/%Y}"),
             (text["issued"], invoice.issued_on.strftime("%d/%m/%Y")),
             (text["due"], invoice.due_on.strftime("%d/%m/%Y")),
             (text["market"], invoice.market)]
    y = HEIGHT - MARGIN - 30
    for label, value in facts:
        canvas.drawRightString(WIDTH - MARGIN - 130, y, f"{label} :")
        canvas.drawString(WIDTH - MARGIN - 125, y, value)
        y -= LINE
    y = HEIGHT - 220
    canvas.setFont(PDF_FONT_BOLD, 12)
    canvas.drawString(MARGIN + 260, y, invoice.legal_name)
    canvas.setFont(PDF_FONT, 10)
    for part in [*invoice.address.splitlines()[:4],
                 f"{text['trader']} {invoice.trader_number}",
                 f"{text['siret']} {invoice.siret}"]:
        y -= LINE
        canvas.drawString(MARGIN + 260, y, part)
    y = HEIGHT - 330
    canvas.setFont(PDF_FONT_BOLD, 11)
    canvas.drawString(MARGIN, y, text["summary"])
    canvas.setFont(PDF_FONT, 10)
    per_market: dict[str, list[int]] = {}
    for line in invoice.lines:
        totals = per_market.setdefault(line.market, [0, 0, 0])
        totals[0] += 1
        totals[1] += line.metres
        totals[2] += line.amount
    for market, (count, metres, amount) in per_market.items():
        y -= LINE + 2
        canvas.drawString(MARGIN, y, market[:45])
        canvas.drawRightString(MARGIN + 330, y, f"{count} {text['tickets']}")
        canvas.drawRightString(MARGIN + 410, y, f"{metres} {text['metres']}")
        canvas.drawRightString(WIDTH - MARGIN, y, money(amount))
    y -= 2 * LINE
    canvas.line(MARGIN, y + LINE - 2, WIDTH - MARGIN, y + LINE - 2)
    canvas.setFont(PDF_FONT_BOLD, 14)
    canvas.drawString(MARGIN, y - 6, text["total"])
    canvas.drawRightString(WIDTH - MARGIN, y - 6, money(invoice.amount))
    canvas.setFont(PDF_FONT, 9)
    for index, part in enumerate(book.pay_lines):
        canvas.drawString(MARGIN, 90 - index * 11, part)
    _footer(book, invoice)
    _draw_detail(book, invoice)
    _footer(book, invoice)


def _draw_detail(book: InvoiceBook, invoice: InvoiceData) -> None:
    """The ticket rows, in two columns. They go in one text object: drawn string by string,
    each of the hundred strings of a page would cost a text object of its own."""
    canvas, text, money = book.canvas, book.text, book.money
    canvas.setFont(PDF_FONT_BOLD, 11)
    canvas.drawString(MARGIN, HEIGHT - MARGIN, f"{text['detail']} — {invoice.number} — "
                                               f"{invoice.legal_name}")
    rows = canvas.beginText()
    rows.setFont(PDF_FONT, DETAIL_SIZE)
    lines = list(invoice.lines)
    capacity = 2 * DETAIL_ROWS
    shown = lines if len(lines) <= capacity else lines[:capacity - 1]
    column_width = (WIDTH - 2 * MARGIN) / 2
    for index, line in enumerate(shown):
        column, row = divmod(index, DETAIL_ROWS)
        x = MARGIN + column * column_width
        y = HEIGHT - MARGIN - 25 - row * 12
        _put(rows, x, y, line.day.strftime("%d/%m"))
        _put(rows, x + 30, y, line.market[:22])
        _put_right(rows, x + 150, y, f"{line.metres} m")
        _put(rows, x + 155, y, line.tariff[:10])
        _put_right(rows, x + column_width - 10, y, money(line.amount))
    if len(shown) < len(lines):
        rest = lines[len(shown):]
        x = MARGIN + column_width
        y = HEIGHT - MARGIN - 25 - (DETAIL_ROWS - 1) * 12
        _put(rows, x, y, f"+ {len(rest)} {text['more']}")
        _put_right(rows, x + column_width - 10, y, money(sum(r.amount for r in rest)))
    canvas.drawText(rows)


def _put(text: PDFTextObject, x: float, y: float, value: str) -> None:
    text.setTextOrigin(x, y)
    text.textOut(value)


def _put_right(text: PDFTextObject, x: float, y: float, value: str) -> None:
    """``value`` ending at ``x``, in the detail's font."""
    _put(text, x - stringWidth(value, PDF_FONT, DETAIL_SIZE), y, value)


def write_index(path: Path, issuer: Issuer, title: str,
                entries: Sequence[tuple[str, int, int, int]]) -> None:
    """The one-page list of ``(market, invoices, first page, last page)`` of the month's PDF."""
    register_pdf_fonts()
    text = texts(issuer.locale)
    canvas = Canvas(str(path), pagesize=A4, invariant=1, initialFontName=PDF_FONT)
    canvas.setTitle(title)
    y = HEIGHT - MARGIN
    canvas.setFont(PDF_FONT_BOLD, 14)
    canvas.drawString(MARGIN, y, title)
    y -= 2 * LINE
    canvas.setFont(PDF_FONT_BOLD, 10)
    for x, label in ((MARGIN, "market"), (MARGIN + 300, "invoices"), (MARGIN + 390, "first"),
                     (WIDTH - MARGIN, "last")):
        (canvas.drawRightString if x > MARGIN else canvas.drawString)(x, y, text[label])
    canvas.setFont(PDF_FONT, 10)
    for market, count, first, last in entries:
        y -= LINE + 2
        if y < MARGIN:
            canvas.showPage()
            canvas.setFont(PDF_FONT, 10)
            y = HEIGHT - MARGIN
        canvas.drawString(MARGIN, y, market[:50])
        canvas.drawRightString(MARGIN + 300, y, str(count))
        canvas.drawRightString(MARGIN + 390, y, str(first))
        canvas.drawRightString(WIDTH - MARGIN, y, str(last))
    canvas.showPage()
    canvas.save()
