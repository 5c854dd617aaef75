"""pypdf batch helpers: merge, split, extract pages, stamp DUPLICATA."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from regie.documents import batch
from regie.documents.batch import PdfError


def make_pdf(name: str, pages: int) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    for number in range(1, pages + 1):
        canvas.drawString(72, 720, f"{name} page {number}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def texts(pdf: bytes) -> list[str]:
    return [page.extract_text().strip() for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture
def monthly_batch() -> bytes:
    return batch.merge([make_pdf("Invoice A", 2), make_pdf("Invoice B", 2),
                        make_pdf("Invoice C", 1)])


def test_merge_keeps_every_page_in_order(monthly_batch):
    assert batch.page_count(monthly_batch) == 5
    assert texts(monthly_batch) == ["Invoice A page 1", "Invoice A page 2", "Invoice B page 1",
                                    "Invoice B page 2", "Invoice C page 1"]


def test_extract_pages_3_to_4_gives_the_second_invoice(monthly_batch):
    duplicate = batch.extract(monthly_batch, "3-4")

    assert texts(duplicate) == ["Invoice B page 1", "Invoice B page 2"]
    assert texts(batch.extract(monthly_batch, "1,5")) == ["Invoice A page 1", "Invoice C page 1"]
    assert texts(batch.extract(monthly_batch, [5, 1])) == ["Invoice C page 1", "Invoice A page 1"]


def test_split_cuts_a_batch_into_parts(monthly_batch):
    parts = batch.split(monthly_batch, pages_per_part=2)

    assert [texts(part) for part in parts] == [
        ["Invoice A page 1", "Invoice A page 2"], ["Invoice B page 1", "Invoice B page 2"],
        ["Invoice C page 1"]]
    assert len(batch.split(monthly_batch)) == 5


def test_stamp_marks_only_the_chosen_pages(monthly_batch):
    duplicate = batch.stamp(batch.extract(monthly_batch, "3-4"), spec="2")

    first, second = texts(duplicate)
    assert "DUPLICATA" not in first and "Invoice B page 1" in first
    assert "DUPLICATA" in second and "Invoice B page 2" in second
    assert all("DUPLICATA" in text for text in texts(batch.stamp(monthly_batch)))


@pytest.mark.parametrize(("spec", "message"), [
    ("7", "page 7 does not exist: the PDF has 5 page"),
    ("0-2", "page 0 does not exist"),
    ("4-3", "goes backwards"),
    ("three", "is not a page list"),
    ([], "no page chosen"),
])
def test_bad_page_choices_are_refused_with_the_reason(monthly_batch, spec, message):
    with pytest.raises(PdfError, match=message):
        batch.extract(monthly_batch, spec)


def test_bad_input_is_refused_with_the_reason():
    with pytest.raises(PdfError, match="document 2: not a readable PDF"):
        batch.merge([make_pdf("ok", 1), b"this is not a PDF"])
    with pytest.raises(PdfError, match="nothing to merge"):
        batch.merge([])
    with pytest.raises(PdfError, match="at least 1"):
        batch.split(make_pdf("ok", 1), pages_per_part=0)
