"""Fixed-width text receipts for dot-matrix and line printers.

Lines of ``columns`` characters in one code page, CR LF line ends (what such printers expect
from a raw print queue) and a form feed at the end so the next receipt starts on a new form.
"""

from __future__ import annotations

import textwrap

from regie.documents.codepage import code_page
from regie.documents.receipt import ReceiptData

DEFAULT_COLUMNS = 42
MIN_COLUMNS = 24
#: The code page used when none is given, by language of the receipt.
DEFAULT_CODE_PAGES = {"uk": "cp866", "ru": "cp866", "be": "cp866"}
FALLBACK_CODE_PAGE = "cp858"
FORM_FEED = "\f"
LINE_END = "\r\n"


def default_code_page(locale: str) -> str:
    return DEFAULT_CODE_PAGES.get(locale.split("_")[0], FALLBACK_CODE_PAGE)


class TextReceipt:
    """A text receipt renderer: ``TextReceipt(columns=32, encoding="cp866")(data)`` returns
    ``(filename, content_type, bytes)``. Without ``encoding`` the code page follows the
    receipt's language (:data:`DEFAULT_CODE_PAGES`)."""

    def __init__(self, columns: int = DEFAULT_COLUMNS, encoding: str | None = None) -> None:
        if columns < MIN_COLUMNS:
            raise ValueError(f"a text receipt needs at least {MIN_COLUMNS} columns, not {columns}")
        self.columns = columns
        self.encoding = encoding
        if encoding is not None:
            code_page(encoding)  # refuse an unknown code page now, not at the first receipt

    def __call__(self, data: ReceiptData) -> tuple[str, str, bytes]:
        page = code_page(self.encoding or default_code_page(data.locale))
        text = LINE_END.join(self.lines(data, page.printable)) + LINE_END + FORM_FEED
        return (data.filename("txt"), f"text/plain; charset={page.encoding}",
                page.encode(text))

    def lines(self, data: ReceiptData, printable=str) -> list[str]:
        """The receipt's lines, each at most ``columns`` characters once made printable."""
        width = self.columns
        labels = data.labels
        out: list[str] = []

        def center(text: str) -> None:
            out.extend(line.center(width).rstrip() for line in _wrap(printable(text), width))

        def pair(left: str, right: str, *, wrap_left: bool = True) -> None:
            """``left`` and ``right`` on one line; when they do not fit, ``left`` is wrapped
            beside ``right`` (descriptions) or ``right`` goes on the next line."""
            left, right = printable(left), printable(right)
            room = width - len(right) - 1
            if room < 1 or (not wrap_left and len(left) > room):
                out.extend(_wrap(left, width))
                out.append(right.rjust(width))
                return
            wrapped = _wrap(left, room) or [""]
            out.extend(wrapped[:-1])
            out.append(wrapped[-1].ljust(room) + " " + right)

        rule = "-" * width
        center(data.establishment_name.upper())
        for line in data.address_lines:
            center(line)
        out.append(rule)
        if data.duplicate:
            center(f"*** {labels.duplicate} ***")
            out.append(rule)
        pair(f"{labels.receipt} {labels.number} {data.number_text}", data.date_text,
             wrap_left=False)
        if data.till_code:
            out.append(printable(f"{labels.till}: {data.till_code}")[:width])
        if data.cashier:
            out.extend(_wrap(printable(f"{labels.cashier}: {data.cashier}"), width))
        if data.payer:
            out.extend(_wrap(printable(f"{labels.payer}: {data.payer}"), width))
        out.append(rule)
        for line in data.lines:
            pair(line.description, data.amount(line.amount))
            if line.shows_quantity:
                out.append(printable(
                    f"  {data.quantity(line.quantity)} x {data.amount(line.unit_amount)}"
                )[:width])
        out.append(rule)
        pair(labels.total.upper(), data.money(data.total), wrap_left=False)
        pair(labels.payment_method, data.payment_method, wrap_left=False)
        if data.reference:
            out.extend(_wrap(printable(f"{labels.reference}: {data.reference}"), width))
        out.append("=" * width)
        if data.duplicate:
            center(labels.duplicate)
        else:
            center(labels.thanks)
        return [line.rstrip() for line in out]


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False)


render_text_receipt = TextReceipt()
