"""The core's document renderers: receipts of payments as an 80 mm roll PDF, an A4 PDF and
fixed-width text for line printers, 42 columns or 32 (narrow rolls, dot-matrix forms), in the
code page of the receipt's language (cp866 for Ukrainian)."""

from regie.api import DocumentRenderer, hookimpl
from regie.documents import TextReceipt, render_a4_receipt, render_roll_receipt
from regie.i18n import lazy_gettext as _l


@hookimpl
def regie_document_renderers():
    return [
        DocumentRenderer("receipt_roll", _l("Receipt, 80 mm roll (PDF)"), render_roll_receipt),
        DocumentRenderer("receipt_a4", _l("Receipt, A4 page (PDF)"), render_a4_receipt),
        DocumentRenderer("receipt_text", _l("Receipt, text for line printers (42 columns)"),
                         TextReceipt(columns=42), content_type="text/plain"),
        DocumentRenderer("receipt_text_narrow",
                         _l("Receipt, text for dot-matrix printers (32 columns)"),
                         TextReceipt(columns=32), content_type="text/plain"),
    ]
