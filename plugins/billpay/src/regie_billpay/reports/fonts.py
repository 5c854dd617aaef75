"""The fonts of billpay's PDFs: the core's DejaVu Sans, which has the Cyrillic letters."""

from regie.api import PDF_FONT as REGULAR
from regie.api import PDF_FONT_BOLD as BOLD
from regie.api import register_pdf_fonts as register

__all__ = ["BOLD", "REGULAR", "register"]
