"""Whole-PDF operations with pypdf: merge receipts into one file to print, split a monthly batch,
extract pages (an invoice duplicate is two pages cut from the batch) and stamp "DUPLICATA".

Pages are numbered from 1, as people count them; a page specification is a string such as
``"3-4"`` or ``"1,3,5-7"``, or a sequence of numbers.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterable, Sequence

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from reportlab.pdfgen.canvas import Canvas

from regie.documents import fonts

_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


class PdfError(ValueError):
    """A PDF that cannot be read, or pages it does not have; the message says which."""


def read(pdf: bytes) -> PdfReader:
    try:
        return PdfReader(io.BytesIO(pdf))
    except (PdfReadError, ValueError, OSError) as exc:
        raise PdfError(f"not a readable PDF: {exc}") from exc


def page_count(pdf: bytes) -> int:
    return len(read(pdf).pages)


def merge(pdfs: Iterable[bytes]) -> bytes:
    """One PDF with every page of ``pdfs``, in order."""
    writer = PdfWriter()
    count = 0
    for number, pdf in enumerate(pdfs, start=1):
        try:
            writer.append(read(pdf))
        except PdfError as exc:
            raise PdfError(f"document {number}: {exc}") from exc
        count += 1
    if not count:
        raise PdfError("nothing to merge: no PDF given")
    return _bytes(writer)


def split(pdf: bytes, pages_per_part: int = 1) -> list[bytes]:
    """``pdf`` cut into PDFs of ``pages_per_part`` pages (the last one may have fewer)."""
    if pages_per_part < 1:
        raise PdfError(f"pages per part must be at least 1, not {pages_per_part}")
    reader = read(pdf)
    parts = []
    for start in range(0, len(reader.pages), pages_per_part):
        writer = PdfWriter()
        for page in reader.pages[start:start + pages_per_part]:
            writer.add_page(page)
        parts.append(_bytes(writer))
    return parts


def pages_of(spec: str | Sequence[int], count: int) -> list[int]:
    """Page numbers (from 1) named by ``spec``, checked against a document of ``count`` pages."""
    if isinstance(spec, str):
        numbers: list[int] = []
        for part in spec.split(","):
            match = _RANGE.match(part)
            if not match:
                raise PdfError(f"'{spec}' is not a page list (e.g. 3-4 or 1,3,5-7)")
            first = int(match.group(1))
            last = int(match.group(2) or first)
            if last < first:
                raise PdfError(f"page range {first}-{last} goes backwards")
            numbers.extend(range(first, last + 1))
    else:
        numbers = [int(number) for number in spec]
    if not numbers:
        raise PdfError("no page chosen")
    outside = [number for number in numbers if not 1 <= number <= count]
    if outside:
        raise PdfError(f"page {outside[0]} does not exist: the PDF has {count} page(s)")
    return numbers


def extract(pdf: bytes, spec: str | Sequence[int]) -> bytes:
    """A new PDF made of the pages ``spec`` of ``pdf`` (``extract(batch, "3-4")``)."""
    reader = read(pdf)
    writer = PdfWriter()
    for number in pages_of(spec, len(reader.pages)):
        writer.add_page(reader.pages[number - 1])
    return _bytes(writer)


def stamp(pdf: bytes, text: str = "DUPLICATA", spec: str | Sequence[int] | None = None) -> bytes:
    """``pdf`` with ``text`` printed across its pages (all, or those of ``spec``), in light
    grey over the content, sized to each page."""
    reader = read(pdf)
    chosen = set(pages_of(spec, len(reader.pages))) if spec is not None else None
    writer = PdfWriter(clone_from=reader)
    for number, page in enumerate(writer.pages, start=1):
        if chosen is None or number in chosen:
            box = page.mediabox
            page.merge_page(_overlay(text, float(box.width), float(box.height),
                                     float(box.left), float(box.bottom)))
    return _bytes(writer)


@functools.lru_cache(maxsize=32)
def _overlay_pdf(text: str, width: float, height: float, left: float, bottom: float) -> bytes:
    fonts.register()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(left + width, bottom + height), invariant=True)
    size = min(width, height) / max(len(text), 1) * 1.35
    canvas.setFillColorRGB(0.75, 0.1, 0.1, alpha=0.35)
    canvas.setFont(fonts.BOLD, size)
    canvas.translate(left + width / 2, bottom + height / 2)
    canvas.rotate(45 if height >= width * 0.8 else 20)
    canvas.drawCentredString(0, -size / 3, text)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _overlay(text: str, width: float, height: float, left: float, bottom: float) -> PageObject:
    return PdfReader(io.BytesIO(_overlay_pdf(text, width, height, left, bottom))).pages[0]


def _bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
