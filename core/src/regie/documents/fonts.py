"""The fonts of Régie's PDFs: DejaVu Sans (Latin, Cyrillic, Greek), vendored with the package so a
receipt looks the same on every host, registered with reportlab once per process."""

from __future__ import annotations

import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FOLDER = Path(__file__).resolve().parent / "fonts"
REGULAR = "RegieSans"
BOLD = "RegieSans-Bold"
_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
_lock = threading.Lock()
_registered = False


def register() -> None:
    """Register the fonts with reportlab (idempotent, thread-safe)."""
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        for name, filename in _FILES.items():
            pdfmetrics.registerFont(TTFont(name, str(FOLDER / filename)))
        pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD)
        _registered = True


def width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)
