"""The core's document renderers: receipts of payments as an 80 mm roll PDF, an A4 PDF and a
fixed-width text for line printers (42 columns, code page by language)."""

from regie.api import DocumentRenderer, hookimpl
from regie.documents import render_a4_receipt, render_roll_receipt, render_text_receipt
from regie.i18n import lazy_gettext as _l


@hookimpl
def regie_document_renderers():
    return [
        DocumentRenderer("receipt_roll", _l("Receipt, 80 mm roll (PDF)"), render_roll_receipt),
        DocumentRenderer("receipt_a4", _l("Receipt, A4 page (PDF)"), render_a4_receipt),
        DocumentRenderer("receipt_text", _l("Receipt, text for line printers"),
                         render_text_receipt, content_type="text/plain"),
    ]
