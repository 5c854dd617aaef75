"""The registers as A4 PDFs for laser printers (reportlab canvas: fast at any volume)."""

from __future__ import annotations

import io
import zoneinfo
from collections.abc import Callable, Sequence

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from regie.api import Establishment, Money, format_money
from regie.api import gettext as _
from regie_billpay.reports import fonts
from regie_billpay.reports.registers import Consolidated, PayeeRegister

MARGIN = 15 * mm
LINE = 5 * mm
SIZE = 8.5


class _Sheet:
    """A canvas that writes rows of cells at fixed column positions, page after page."""

    def __init__(self, title: str, subtitle: str) -> None:
        fonts.register()
        self.buffer = io.BytesIO()
        self.canvas = Canvas(self.buffer, pagesize=A4, pageCompression=1)
        self.canvas.setTitle(title)
        self.title, self.subtitle = title, subtitle
        self.width, self.height = A4
        self.page = 0
        self.header: tuple[Sequence[str], Sequence[float], Sequence[bool]] | None = None
        self._new_page()

    def _new_page(self) -> None:
        if self.page:
            self.canvas.showPage()
        self.page += 1
        self.y = self.height - MARGIN
        self.canvas.setFont(fonts.BOLD, 12)
        self.canvas.drawString(MARGIN, self.y, self.title)
        self.canvas.setFont(fonts.REGULAR, SIZE)
        self.canvas.drawRightString(self.width - MARGIN, self.y,
                                    _("Page %(number)s", number=self.page))
        self.y -= LINE
        self.canvas.drawString(MARGIN, self.y, self.subtitle)
        self.y -= LINE * 1.5
        if self.header:
            self._row(*self.header, bold=True)

    def heading(self, text: str) -> None:
        self._room(3)
        self.y -= LINE * 0.5
        self.canvas.setFont(fonts.BOLD, 10)
        self.canvas.drawString(MARGIN, self.y, text)
        self.y -= LINE

    def text(self, text: str) -> None:
        self._room(1)
        self.canvas.setFont(fonts.REGULAR, SIZE)
        self.canvas.drawString(MARGIN, self.y, text)
        self.y -= LINE

    def columns(self, labels: Sequence[str], widths: Sequence[float],
                right: Sequence[bool]) -> None:
        self.header = (labels, widths, right)
        self._room(2)
        self._row(labels, widths, right, bold=True)

    def end_table(self) -> None:
        self.header = None

    def row(self, cells: Sequence[str], *, bold: bool = False) -> None:
        assert self.header is not None
        self._room(1)
        self._row(cells, self.header[1], self.header[2], bold=bold)

    def _room(self, lines: int) -> None:
        if self.y - lines * LINE < MARGIN:
            self._new_page()

    def _row(self, cells, widths, right, *, bold: bool = False) -> None:
        font = fonts.BOLD if bold else fonts.REGULAR
        self.canvas.setFont(font, SIZE)
        x = MARGIN
        usable = self.width - 2 * MARGIN
        for cell, share, align_right in zip(cells, widths, right, strict=True):
            width = usable * share
            text = _clip(str(cell), font, width - 2)
            if align_right:
                self.canvas.drawRightString(x + width - 2, self.y, text)
            else:
                self.canvas.drawString(x, self.y, text)
            x += width
        if bold:
            self.canvas.line(MARGIN, self.y - 1.5, self.width - MARGIN, self.y - 1.5)
        self.y -= LINE

    def finish(self) -> bytes:
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()


def _clip(text: str, font: str, width: float) -> str:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if stringWidth(text, font, SIZE) <= width:
        return text
    while text and stringWidth(text + "…", font, SIZE) > width:
        text = text[:-1]
    return text + "…"


def _money(locale: str) -> Callable[[int], str]:
    return lambda amount: format_money(Money(amount, "UAH"), locale)


def _desks(register_desks) -> str:
    return ", ".join(f"{desk.code} {desk.name}" for desk in register_desks)


def consolidated_pdf(establishment: Establishment, register: Consolidated,
                     locale: str = "uk") -> bytes:
    """The consolidated register: one line per service, the total, then the day's
    cancellations."""
    money = _money(locale)
    zone = zoneinfo.ZoneInfo(establishment.timezone)
    sheet = _Sheet(_("Consolidated register of utility payments"),
                   _("%(establishment)s · %(day)s · desks: %(desks)s",
                     establishment=establishment.name, day=register.day.strftime("%d.%m.%Y"),
                     desks=_desks(register.desks)))
    sheet.columns([_("Code"), _("Service"), _("Payee"), _("Lines"), _("Amount")],
                  [0.1, 0.32, 0.3, 0.1, 0.18], [False, False, False, True, True])
    for service in register.services:
        sheet.row([service.code, service.name, service.payee, str(service.lines),
                   money(service.amount)])
    sheet.row(["", _("Total"), _("%(count)s bills", count=register.bills), "",
               money(register.total)], bold=True)
    sheet.end_table()
    sheet.heading(_("Payments cancelled on the day"))
    if not register.cancellations:
        sheet.text(_("No payment was cancelled on this day."))
    else:
        sheet.columns([_("Bill"), _("Desk"), _("Account"), _("Surname"), _("Cancelled at"),
                       _("Reason"), _("Amount")],
                      [0.08, 0.08, 0.13, 0.17, 0.1, 0.28, 0.16],
                      [True, False, False, False, False, False, True])
        for cancellation in register.cancellations:
            sheet.row([str(cancellation.bill), cancellation.desk, cancellation.account,
                       cancellation.surname,
                       cancellation.cancelled_at.astimezone(zone).strftime("%H:%M"),
                       cancellation.reason, money(cancellation.amount)])
        sheet.row(["", "", "", "", "", _("Total cancelled"),
                   money(register.cancelled_total)], bold=True)
    return sheet.finish()


def payees_pdf(establishment: Establishment, day, desks, registers: Sequence[PayeeRegister],
               locale: str = "uk") -> bytes:
    """The register of payments per payee: each payee's lines and subtotal."""
    money = _money(locale)
    sheet = _Sheet(_("Register of payments per payee"),
                   _("%(establishment)s · %(day)s · desks: %(desks)s",
                     establishment=establishment.name, day=day.strftime("%d.%m.%Y"),
                     desks=_desks(desks)))
    if not registers:
        sheet.text(_("No payment on this day."))
    for register in registers:
        payee = register.payee
        sheet.end_table()
        sheet.heading(f"{payee.code} · {payee.name}")
        sheet.text(_("EDRPOU %(edrpou)s · IBAN %(iban)s", edrpou=payee.edrpou or "—",
                     iban=payee.iban or "—"))
        sheet.columns(["№", _("Bill"), _("Account"), _("Surname"), _("Address"), _("Service"),
                       _("Period"), _("Amount")],
                      [0.06, 0.08, 0.12, 0.16, 0.26, 0.08, 0.09, 0.15],
                      [True, True, False, False, False, False, False, True])
        for line in register.lines:
            sheet.row([str(line.number), str(line.bill), line.account, line.surname,
                       line.address, line.service, line.period.strftime("%m.%Y"),
                       money(line.amount)])
        sheet.row(["", "", "", _("Total"), _("%(count)s lines", count=len(register.lines)),
                   "", "", money(register.total)], bold=True)
    return sheet.finish()
