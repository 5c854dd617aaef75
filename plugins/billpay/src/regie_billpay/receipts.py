"""Receipts of paid bills: fixed-width text for dot-matrix printers (32 columns, cp866,
continuous form ending with a form feed) and a PDF for laser printers. Both say "duplicate"
when they are not the first print, and "cancelled" once the bill is cancelled."""

from __future__ import annotations

import datetime as dt
import io
import textwrap
import zoneinfo

import attrs
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from regie.api import gettext as _
from regie_billpay.models import PREPAYMENT, Bill
from regie_billpay.reports import fonts

WIDTH = 32
ENCODING = "cp866"
FORM_FEED = "\f"
# Letters cp866 lacks (Ukrainian І, Ґ), and spaces it prints badly, in their usual stand-ins.
_STAND_INS = str.maketrans({"І": "I", "і": "i", "Ґ": "Г", "ґ": "г", "\u00a0": " ",
                            "\u202f": " ", "\u2009": " ", "’": "'", "ʼ": "'", "«": '"',
                            "»": '"', "—": "-", "–": "-"})


@attrs.frozen
class ReceiptLine:
    service: str
    period: dt.date
    amount: int


@attrs.frozen
class Receipt:
    """What a receipt shows, as plain values."""

    establishment: str
    number: int
    moment: dt.datetime
    desk: str
    bank: str
    cashier: str
    account: str
    surname: str
    address: str
    prepayment: bool
    lines: tuple[ReceiptLine, ...]
    total: int
    duplicate: bool = False
    cancelled: bool = False
    bank_details: tuple[str, ...] = ()
    """``IBAN …`` and ``BIC …`` of the desk's bank, those it has."""


def receipt_of(bill: Bill, *, receipt_number: int, cashier: str, establishment_name: str,
               timezone: str, duplicate: bool) -> Receipt:
    subscriber = bill.subscriber
    return Receipt(
        establishment=establishment_name, number=receipt_number,
        moment=bill.created_at.astimezone(zoneinfo.ZoneInfo(timezone)),
        desk=f"{bill.desk.code} {bill.desk.name}".strip(), bank=bill.desk.bank, cashier=cashier,
        account=subscriber.account_number, surname=subscriber.surname,
        address=subscriber.address, prepayment=bill.kind == PREPAYMENT,
        lines=tuple(ReceiptLine(line.service.name, line.period, line.amount)
                    for line in bill.lines),
        total=bill.total, duplicate=duplicate, cancelled=bill.cancelled,
        bank_details=tuple(f"{name} {value}" for name, value in (
            ("IBAN", bill.desk.iban), ("BIC", bill.desk.bic)) if value))


def amount_text(amount: int) -> str:
    """``1 234,56``: the same on every printer and in every language."""
    units, cents = divmod(amount, 100)
    return f"{units:,}".replace(",", " ") + f",{cents:02d}"


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, WIDTH) or [""]


RULE, DOUBLE_RULE, CENTRED = "-", "=", "centre"


def rows(receipt: Receipt) -> list[tuple[str, str]]:
    """The receipt as rows ``(left, right)``: ``right`` is an amount aligned on the right,
    :data:`CENTRED` centres ``left``, and a ``left`` of :data:`RULE` or :data:`DOUBLE_RULE`
    draws a line."""
    title = (_("PREPAYMENT RECEIPT No. %(number)s", number=receipt.number) if receipt.prepayment
             else _("RECEIPT No. %(number)s", number=receipt.number))
    centred = [*_wrap(receipt.establishment), title]
    if receipt.duplicate:
        centred.append(_("*** DUPLICATE ***"))
    if receipt.cancelled:
        centred.append(_("*** CANCELLED ***"))
    plain = [receipt.moment.strftime("%d.%m.%Y %H:%M"),
             *_wrap(_("Desk: %(desk)s", desk=receipt.desk)),
             *(_wrap(receipt.bank) if receipt.bank else []),
             *(line for details in receipt.bank_details for line in _wrap(details)),
             *_wrap(_("Cashier: %(name)s", name=receipt.cashier))]
    subscriber = [*_wrap(_("Account: %(account)s", account=receipt.account)),
                  *_wrap(receipt.surname), *_wrap(receipt.address)]
    result = [(DOUBLE_RULE, ""), *((text, CENTRED) for text in centred),
              *((text, "") for text in plain), (RULE, ""),
              *((text, "") for text in subscriber), (RULE, "")]
    for line in receipt.lines:
        result += [(text, "") for text in _wrap(line.service)]
        result.append(("  " + line.period.strftime("%m.%Y"), amount_text(line.amount)))
    result += [(RULE, ""), (_("TOTAL:"), amount_text(receipt.total) + " " + _("UAH")),
               (DOUBLE_RULE, "")]
    return result


def text_lines(receipt: Receipt) -> list[str]:
    """The receipt's lines for a dot-matrix printer, none longer than :data:`WIDTH`."""
    lines = []
    for left, right in rows(receipt):
        if left in (RULE, DOUBLE_RULE):
            lines.append(left * WIDTH)
        elif right == CENTRED:
            lines.append(left.center(WIDTH).rstrip())
        elif not right:
            lines.append(left)
        elif len(left) + len(right) < WIDTH:
            lines.append(left + right.rjust(WIDTH - len(left)))
        else:
            lines += [*_wrap(left), right.rjust(WIDTH)]
    return lines


def as_text(receipt: Receipt) -> str:
    """The receipt as the dot-matrix printer gets it, before encoding."""
    return "\r\n".join(text_lines(receipt)) + "\r\n" + FORM_FEED


def to_printer(text: str) -> bytes:
    """``text`` in cp866: letters cp866 lacks become their usual stand-ins, anything else a
    ``?``, so a receipt is never refused and never garbled."""
    return text.translate(_STAND_INS).encode(ENCODING, errors="replace")


def text_receipt(receipt: Receipt) -> bytes:
    return to_printer(as_text(receipt))


def pdf_receipt(receipt: Receipt) -> bytes:
    """An A6 page for a laser printer, with the same rows as the text receipt."""
    fonts.register()
    buffer = io.BytesIO()
    width, height = 105 * mm, 148 * mm
    left_x, right_x, step = 8 * mm, width - 8 * mm, 4.8 * mm
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    pdf.setTitle(_("Receipt %(number)s", number=receipt.number))
    y = height - 12 * mm
    for left, right in rows(receipt):
        if y < 10 * mm:
            pdf.showPage()
            y = height - 12 * mm
        if left in (RULE, DOUBLE_RULE):
            pdf.setLineWidth(1 if left == DOUBLE_RULE else 0.4)
            pdf.line(left_x, y + 1.5 * mm, right_x, y + 1.5 * mm)
        elif right == CENTRED:
            pdf.setFont(fonts.BOLD, 10)
            pdf.drawCentredString(width / 2, y, left)
        else:
            pdf.setFont(fonts.BOLD if left == _("TOTAL:") else fonts.REGULAR, 9)
            pdf.drawString(left_x, y, left)
            if right:
                pdf.drawRightString(right_x, y, right)
        y -= step
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
