"""Receipt renderers: 80 mm roll and A4 PDFs read back with pypdf, the fixed-width text receipt
against golden bytes, and one PDF rasterised with pdftoppm to see that something is printed."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import zoneinfo
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from regie.documents import (
    ReceiptData,
    ReceiptLabels,
    ReceiptLine,
    TextReceipt,
    render_a4_receipt,
    render_roll_receipt,
    render_text_receipt,
)
from regie.documents.codepage import CodePage
from regie.services.money import Money
from regie.testing.services import required

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "receipts"

UKRAINIAN = ReceiptLabels(
    receipt="Квитанція", number="№", date="Дата", till="Каса", cashier="Касир",
    payer="Платник", reference="Референс", description="Послуга", quantity="К-сть",
    unit_price="Ціна", amount="Сума", total="Разом", payment_method="Оплата",
    duplicate="ДУБЛІКАТ", page="Сторінка", thanks="Дякуємо за оплату!")


def png_logo() -> bytes:
    image = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((5, 5, 295, 115), 24, fill=(200, 60, 30, 255))
    draw.ellipse((30, 30, 90, 90), fill=(255, 255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def shop_receipt(**changes) -> ReceiptData:
    fields = dict(
        establishment_name="BRICO", establishment_address="12 rue des Lilas\n75011 Paris",
        logo=png_logo(), locale="fr", currency="EUR", receipt_number=4,
        issued_at=dt.datetime(2025, 3, 12, 14, 5, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),
        till_code="C1", cashier="DUPOND",
        lines=[ReceiptLine("Vis à bois 4x40", 1798, 2, 899), ReceiptLine("Perceuse", 12900)],
        total=14698, payment_method="Carte bancaire", reference="PAY-000123",
        labels=ReceiptLabels())
    fields.update(changes)
    return ReceiptData(**fields)


def utility_receipt(**changes) -> ReceiptData:
    fields = dict(
        establishment_name="КП «Водоканал»", establishment_address="вул. Соборна, 1\nКременчук",
        locale="uk", currency="UAH", receipt_number=17,
        issued_at=dt.datetime(2025, 4, 3, 6, 30, tzinfo=dt.UTC).astimezone(
            zoneinfo.ZoneInfo("Europe/Kyiv")),
        till_code="K2", cashier="Іваненко Ґ. І.", payer="Петренко О. О., о/р 102938",
        lines=[ReceiptLine("Водопостачання (квітень)", 24050),
               ReceiptLine("Водовідведення", 11820, 2, 5910)],
        total=35870, payment_method="Готівка", labels=UKRAINIAN)
    fields.update(changes)
    return ReceiptData(**fields)


def flat(text: str) -> str:
    """``text`` with no-break spaces as plain ones: a PDF keeps the glyph, not the character."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


def pdf_text(pdf: bytes) -> str:
    return flat("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def money(minor: int, currency: str = "EUR", locale: str = "fr") -> str:
    return flat(Money(minor, currency).format(locale))


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    return [(float(page.mediabox.width), float(page.mediabox.height))
            for page in PdfReader(io.BytesIO(pdf)).pages]


# --- PDF ------------------------------------------------------------------------------------------


def test_roll_receipt_is_80_mm_wide_and_says_what_was_paid():
    filename, content_type, pdf = render_roll_receipt(shop_receipt())

    assert (filename, content_type) == ("C1-000004-BRICO.pdf", "application/pdf")
    [(width, _height)] = page_sizes(pdf)
    assert width == pytest.approx(80 * mm)
    text = pdf_text(pdf)
    for expected in ("BRICO", "12 rue des Lilas", "000004", "12/03/2025 14:05", "C1", "DUPOND",
                     "Vis à bois 4x40", money(1798),
                     money(899), money(14698),
                     "Carte bancaire"):
        assert expected in text
    assert "DUPLICATA" not in text
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 1, "the logo is drawn"


def test_roll_receipt_page_grows_with_its_lines():
    short = render_roll_receipt(shop_receipt(lines=[ReceiptLine("Sac", 10)], total=10))[2]
    many = [ReceiptLine(f"Article {number}", 100) for number in range(40)]
    long = render_roll_receipt(shop_receipt(lines=many, total=4000))[2]

    [(_, short_height)] = page_sizes(short)
    [(_, long_height)] = page_sizes(long)
    assert 60 * mm < short_height < 160 * mm
    assert long_height > short_height + 39 * 3 * mm
    assert "Article 39" in pdf_text(long)


def test_a_roll_longer_than_viewers_accept_continues_on_another_page():
    lines = [ReceiptLine(f"Article {number}", 100) for number in range(1500)]
    pdf = render_roll_receipt(shop_receipt(lines=lines, total=150000))[2]

    sizes = page_sizes(pdf)
    assert len(sizes) == 2
    assert all(width == pytest.approx(80 * mm) and height <= 200 * 72 for width, height in sizes)
    last = PdfReader(io.BytesIO(pdf)).pages[-1].extract_text()
    assert "Article 1499" in last and "TOTAL" in last


def test_a4_receipt_is_an_a4_page_with_the_same_content():
    filename, _type, pdf = render_a4_receipt(shop_receipt())

    assert filename == "C1-000004-BRICO.pdf"
    assert page_sizes(pdf) == [pytest.approx(A4)]
    text = pdf_text(pdf)
    for expected in ("BRICO", "000004", "Perceuse", money(12900),
                     money(14698), "Page 1/1"):
        assert expected in text
    assert "DUPLICATA" not in text


def test_a_long_a4_receipt_continues_on_numbered_pages_with_its_table_header():
    lines = [ReceiptLine(f"Repas du jour {number}", 350) for number in range(1, 121)]
    pdf = render_a4_receipt(shop_receipt(lines=lines, total=42000))[2]

    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) >= 3
    last = pages[-1].extract_text()
    assert f"Page {len(pages)}/{len(pages)}" in last
    assert "Description" in last and "Repas du jour 120" in last
    assert money(42000) in last


def test_reprints_say_duplicata_and_originals_do_not():
    original = shop_receipt()
    reprint = original.reprint()

    for render in (render_roll_receipt, render_a4_receipt):
        assert "DUPLICATA" not in pdf_text(render(original)[2])
        filename, _type, pdf = render(reprint)
        assert "DUPLICATA" in pdf_text(pdf)
        assert filename == "C1-000004-BRICO-DUPLICATA.pdf"
    assert b"DUPLICATA" not in render_text_receipt(original)[2]
    assert b"DUPLICATA" in render_text_receipt(reprint)[2]


def test_ukrainian_receipt_keeps_its_cyrillic_text():
    filename, _type, pdf = render_roll_receipt(utility_receipt())

    assert filename == "K2-000017-KP_Vodokanal.pdf"
    text = pdf_text(pdf)
    for expected in ("КП «Водоканал»", "Кременчук", "Квитанція № 000017", "03.04.2025 09:30",
                     "Іваненко Ґ. І.", "Водопостачання (квітень)", "Водовідведення",
                     "240,50 грн", "358,70 грн", "Готівка", "РАЗОМ"):
        assert expected in text, expected


def test_receipt_words_come_from_the_catalog_of_the_establishment_language(
        tmp_path, monkeypatch):
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    from regie.documents import labels

    catalog = Catalog(locale="uk")
    catalog.add("Total", "Разом")
    catalog.add("Receipt", "Квитанція")
    folder = tmp_path / "uk" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as output:
        write_mo(output, catalog)
    monkeypatch.setattr(labels, "TRANSLATIONS", tmp_path)
    labels._labels.cache_clear()
    try:
        data = ReceiptData(establishment_name="КП «Водоканал»", receipt_number=17,
                           issued_at=utility_receipt().issued_at, currency="UAH", total=35870,
                           payment_method="Готівка", locale="uk")
        text = pdf_text(render_roll_receipt(data)[2])
    finally:
        labels._labels.cache_clear()

    assert (data.labels.total, data.labels.receipt) == ("Разом", "Квитанція")
    assert data.labels.cashier == "Cashier", "words the catalog lacks stay in English"
    assert "РАЗОМ" in text and "Квитанція No. 000017" in text


def test_a_broken_logo_does_not_stop_the_receipt(caplog):
    pdf = render_roll_receipt(shop_receipt(logo=b"\x89PNG not really"))[2]

    assert "BRICO" in pdf_text(pdf)
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 0
    assert "unreadable logo" in caplog.text


def test_receipt_amounts_are_integers_in_minor_units():
    with pytest.raises(TypeError):
        render_roll_receipt(shop_receipt(total=146.98))


def test_receipt_pdf_is_not_blank_when_rasterised(tmp_path):
    if shutil.which("pdftoppm") is None:
        message = "pdftoppm (Debian poppler-utils) is not installed"
        if "browser" in required():
            pytest.fail(f"{message} and REGIE_REQUIRE names browser")
        pytest.skip(message)
    source = tmp_path / "receipt.pdf"
    source.write_bytes(render_roll_receipt(shop_receipt())[2])
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(source),
                    str(tmp_path / "receipt")], check=True, timeout=60)

    image = Image.open(tmp_path / "receipt.png").convert("L")
    width, height = image.size
    assert width == pytest.approx(80 / 25.4 * 100, abs=2)
    dark = sum(count for level, count in enumerate(image.histogram()) if level < 128)
    assert dark > 0.02 * width * height, "the page is (almost) blank"
    top_band = image.crop((0, 0, width, height // 4))
    assert top_band.getextrema()[0] < 128, "nothing printed at the top (logo, name)"


# --- text -----------------------------------------------------------------------------------------


def test_text_receipt_for_the_utility_cashier_matches_the_golden_bytes():
    filename, content_type, content = TextReceipt(columns=32, encoding="cp866")(utility_receipt())

    assert filename == "K2-000017-KP_Vodokanal.txt"
    assert content_type == "text/plain; charset=cp866"
    assert content == (GOLDEN / "utility_32_cp866.txt").read_bytes()


def test_text_receipt_lines_fit_the_columns_and_end_with_a_form_feed():
    content = TextReceipt(columns=32, encoding="cp866")(utility_receipt().reprint())[2]

    assert content.endswith(b"\r\n\x0c")
    text = content.decode("cp866")
    lines = text[:-1].split("\r\n")
    assert all(len(line) <= 32 for line in lines)
    assert "ДУБЛІКАТ".replace("І", "I") in text
    assert "Iваненко Г. I." in text, "і and ґ (missing from cp866) print as look-alikes"
    assert "?" not in text


def test_text_receipt_default_is_42_columns_in_the_code_page_of_the_language():
    french = render_text_receipt(shop_receipt())
    ukrainian = render_text_receipt(utility_receipt())

    assert french[1] == "text/plain; charset=cp858"
    assert max(len(line) for line in french[2].decode("cp858").split("\r\n")) == 42
    assert "Vis à bois 4x40" in french[2].decode("cp858")
    assert ukrainian[1] == "text/plain; charset=cp866"
    assert "Водопостачання" in ukrainian[2].decode("cp866")


def test_characters_outside_the_code_page_are_transliterated_not_corrupted():
    latin = TextReceipt(columns=40, encoding="cp437")(utility_receipt())[2].decode("cp437")

    assert "KP «VODOKANAL»" in latin, "cp437 has guillemets: they stay"
    assert "Vodopostachannya (kviten')" in latin
    assert "?" not in latin

    page = CodePage("cp866")
    assert page.encode("Ціна: 5 € — «добре»").decode("cp866") == 'Цiна: 5 EUR - "добре"'
    assert page.printable("₴") == "грн"
    unreadable = CodePage("ascii").printable("😀 \ue000")
    assert unreadable == ":grinning: ?", "? only where no reading exists"


def test_text_receipt_refuses_unknown_code_pages_and_too_few_columns():
    with pytest.raises(ValueError, match="unknown code page 'cp9999'"):
        TextReceipt(columns=32, encoding="cp9999")
    with pytest.raises(ValueError, match="at least 24 columns"):
        TextReceipt(columns=12)

