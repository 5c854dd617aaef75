"""Documents: receipt data and renderers (PDF roll and A4, fixed-width text), fonts, and pypdf
batch helpers. Storage and downloads live in :mod:`regie.services.documents`."""

from regie.documents.labels import ReceiptLabels
from regie.documents.pdf_receipt import render_a4_receipt, render_roll_receipt
from regie.documents.receipt import ReceiptData, ReceiptLine
from regie.documents.text_receipt import TextReceipt, render_text_receipt

__all__ = [
    "ReceiptData",
    "ReceiptLabels",
    "ReceiptLine",
    "TextReceipt",
    "render_a4_receipt",
    "render_roll_receipt",
    "render_text_receipt",
]
