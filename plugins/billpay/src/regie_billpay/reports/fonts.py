"""The font of the registers' PDFs: DejaVu Sans (Cyrillic), the one the core's receipts use."""

from __future__ import annotations

import threading
from importlib import resources

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "BillpaySans"
BOLD = "BillpaySans-Bold"
_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
_lock = threading.Lock()


def register() -> None:
    """Register the fonts with reportlab once per process."""
    if REGULAR in pdfmetrics.getRegisteredFontNames():
        return
    with _lock:
        if REGULAR in pdfmetrics.getRegisteredFontNames():
            return
        folder = resources.files("regie").joinpath("documents", "fonts")
        for name, filename in _FILES.items():
            with resources.as_file(folder.joinpath(filename)) as path:
                pdfmetrics.registerFont(TTFont(name, str(path)))
