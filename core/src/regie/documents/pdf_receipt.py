"""Receipt PDFs drawn on the reportlab canvas: an 80 mm roll (page as tall as the receipt, as a
thermal printer cuts it) and an A4 page (for mail and office printers)."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from regie.documents import fonts
from regie.documents.fonts import BOLD, REGULAR
from regie.documents.layout import Block, Flow, draw_blocks, image_reader
from regie.documents.receipt import ReceiptData

PDF = "application/pdf"
ROLL_WIDTH = 80 * mm
ROLL_MARGIN = 4 * mm
#: Taller rolls are cut into pages: PDF viewers refuse pages over 200 inches.
ROLL_MAX_HEIGHT = 200 * 72
A4_MARGIN = 18 * mm


def _canvas(data: ReceiptData, pagesize: tuple[float, float]) -> tuple[Canvas, io.BytesIO]:
    fonts.register()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=pagesize, invariant=True, pageCompression=1)
    canvas.setTitle(f"{data.labels.receipt} {data.number_text} — {data.establishment_name}")
    canvas.setAuthor(data.establishment_name)
    canvas.setCreator("Régie")
    return canvas, buffer


def render_roll_receipt(data: ReceiptData) -> tuple[str, str, bytes]:
    """The receipt on an 80 mm wide page whose height fits the content."""
    fonts.register()
    flow = Flow(ROLL_MARGIN, ROLL_WIDTH - 2 * ROLL_MARGIN)
    _roll_content(flow, data)
    pages = flow.pages(ROLL_MAX_HEIGHT - 2 * ROLL_MARGIN)
    heights = [sum(block.height for block in page) + 2 * ROLL_MARGIN for page in pages]
    canvas, buffer = _canvas(data, (ROLL_WIDTH, heights[0]))
    for number, (page, height) in enumerate(zip(pages, heights, strict=True)):
        if number:
            canvas.setPageSize((ROLL_WIDTH, height))
        draw_blocks(canvas, page, height - ROLL_MARGIN)
        canvas.showPage()
    canvas.save()
    return data.filename("pdf"), PDF, buffer.getvalue()


def _roll_content(flow: Flow, data: ReceiptData) -> None:
    labels = data.labels
    reader = image_reader(data.logo) if data.logo else None
    if reader is not None:
        flow.image(reader, 48 * mm, 20 * mm)
        flow.space(2 * mm)
    flow.text(data.establishment_name, BOLD, 12, "center")
    for line in data.address_lines:
        flow.text(line, REGULAR, 7.5, "center")
    flow.space(1.5 * mm)
    flow.rule(dashed=True)
    if data.duplicate:
        flow.space(1 * mm)
        flow.boxed(labels.duplicate, BOLD, 13)
        flow.space(1.5 * mm)
    flow.pair(f"{labels.receipt} {labels.number} {data.number_text}", data.date_text, BOLD, 8,
              right_font=REGULAR)
    if data.till_code or data.cashier:
        till = f"{labels.till} {data.till_code}" if data.till_code else ""
        cashier = f"{labels.cashier}: {data.cashier}" if data.cashier else ""
        if till:
            flow.pair(till, cashier, REGULAR, 7.5)
        else:
            flow.text(cashier, REGULAR, 7.5)
    if data.payer:
        flow.text(f"{labels.payer}: {data.payer}", REGULAR, 7.5)
    flow.rule(dashed=True)
    for line in data.lines:
        flow.pair(line.description, data.money(line.amount), REGULAR, 8.5)
        if line.shows_quantity:
            flow.text(f"    {data.quantity(line.quantity)} × {data.money(line.unit_amount)}",
                      REGULAR, 7.5, color=0.35)
    flow.rule(width=0.8, space=5)
    flow.pair(labels.total.upper(), data.money(data.total), BOLD, 12)
    flow.pair(labels.payment_method, data.payment_method, REGULAR, 8)
    if data.reference:
        flow.text(f"{labels.reference}: {data.reference}", REGULAR, 7, color=0.35)
    flow.space(1 * mm)
    flow.rule(dashed=True)
    flow.space(1 * mm)
    if data.duplicate:
        flow.text(labels.duplicate, BOLD, 9, "center")
    else:
        flow.text(labels.thanks, REGULAR, 8, "center")


def render_a4_receipt(data: ReceiptData) -> tuple[str, str, bytes]:
    """The receipt on A4 pages: letterhead, numbered table of lines, total, page numbers."""
    fonts.register()
    page_width, page_height = A4
    flow = Flow(A4_MARGIN, page_width - 2 * A4_MARGIN)
    _a4_content(flow, data)
    footer = 10 * mm
    pages = flow.pages(page_height - 2 * A4_MARGIN - footer)
    canvas, buffer = _canvas(data, A4)
    for number, page in enumerate(pages, start=1):
        if data.duplicate:
            _watermark(canvas, data.labels.duplicate)
        draw_blocks(canvas, page, page_height - A4_MARGIN)
        _a4_footer(canvas, data, number, len(pages))
        canvas.showPage()
    canvas.save()
    return data.filename("pdf"), PDF, buffer.getvalue()


def _a4_content(flow: Flow, data: ReceiptData) -> None:
    labels = data.labels
    reader = image_reader(data.logo) if data.logo else None
    header = Flow(flow.left, flow.width)
    if reader is not None:
        header.image(reader, 50 * mm, 24 * mm, align="left")
    letterhead = Flow(flow.left, flow.width)
    letterhead.text(data.establishment_name, BOLD, 14, "right")
    for line in data.address_lines:
        letterhead.text(line, REGULAR, 9, "right", color=0.25)
    flow.blocks.append(_side_by_side(header, letterhead))
    flow.space(12 * mm)
    flow.pair(f"{labels.receipt} {labels.number} {data.number_text}", data.date_text, BOLD, 16,
              right_font=REGULAR)
    if data.duplicate:
        flow.space(2 * mm)
        flow.boxed(labels.duplicate, BOLD, 14)
    flow.space(3 * mm)
    details = [(labels.till, data.till_code), (labels.cashier, data.cashier),
               (labels.payer, data.payer), (labels.reference, data.reference)]
    for label, value in details:
        if value:
            flow.text(f"{label}: {value}", REGULAR, 9.5)
    flow.space(8 * mm)
    quantity_edge, unit_edge, amount_edge = flow.width - 78 * mm, flow.width - 32 * mm, flow.width
    flow.columns([(labels.description, 0, "left"), (labels.quantity, quantity_edge, "right"),
                  (labels.unit_price, unit_edge, "right"), (labels.amount, amount_edge, "right")],
                 BOLD, 9.5, header=True, table_row=False)
    flow.rule(width=0.8, space=4)
    for line in data.lines:
        quantity = data.quantity(line.quantity) if line.unit_amount is not None else ""
        unit = data.money(line.unit_amount) if line.unit_amount is not None else ""
        flow.columns([(line.description, 0, "left"), (quantity, quantity_edge, "right"),
                      (unit, unit_edge, "right"), (data.money(line.amount), amount_edge,
                                                   "right")], REGULAR, 10, padding=5)
    flow.rule(width=0.8, space=6)
    total = Flow(flow.left + flow.width / 2, flow.width / 2)
    total.pair(labels.total, data.money(data.total), BOLD, 13)
    total.pair(labels.payment_method, data.payment_method, REGULAR, 10)
    flow.blocks.extend(total.blocks)
    flow.space(14 * mm)
    flow.text(labels.duplicate if data.duplicate else labels.thanks, REGULAR, 10, "center",
              color=0.3)


def _side_by_side(first: Flow, second: Flow) -> Block:
    def draw(canvas: Canvas, top: float) -> None:
        draw_blocks(canvas, first.blocks, top)
        draw_blocks(canvas, second.blocks, top)

    return Block(max(first.height, second.height), draw)


def _watermark(canvas: Canvas, text: str) -> None:
    width, height = A4
    canvas.saveState()
    canvas.setFillGray(0.88)
    canvas.setFont(BOLD, 96)
    canvas.translate(width / 2, height / 2)
    canvas.rotate(45)
    canvas.drawCentredString(0, -30, text)
    canvas.restoreState()


def _a4_footer(canvas: Canvas, data: ReceiptData, number: int, count: int) -> None:
    width, _ = A4
    canvas.setFont(REGULAR, 8)
    canvas.setFillGray(0.4)
    canvas.drawString(A4_MARGIN, A4_MARGIN - 4 * mm,
                      f"{data.establishment_name} — {data.labels.receipt} {data.number_text}")
    canvas.drawRightString(width - A4_MARGIN, A4_MARGIN - 4 * mm,
                           f"{data.labels.page} {number}/{count}")
    canvas.setFillGray(0)
