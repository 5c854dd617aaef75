"""Every PDF of Markets prints names beyond Latin-1 ("Ølga Ščerbakova") and Ukrainian text:
badges, the ticket sheet, the placement priority, duplicates. Each is read back with pypdf
(Helvetica turns "č" and Cyrillic into "■") and rasterized with pdftoppm, where the place of
the name must have ink."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess

import pytest
from PIL import Image
from pypdf import PdfReader

from regie_markets import badges
from regie_markets.invoicing.duplicate import _stamp
from regie_markets.models import Market, Ticket, Trader
from regie_markets.ticket_import import sheet

NAME, FIRST_NAME, LEGAL_NAME = "ŠČERBAKOVA", "Ølga", "ФОП Щербакова Ольга"


def text_of(pdf: bytes, page: int = 0) -> str:
    return PdfReader(io.BytesIO(pdf)).pages[page].extract_text()


def fonts_of(pdf: bytes) -> set[str]:
    resources = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    return {str(font.get_object()["/BaseFont"]) for font in resources.values()}


def ink(pdf: bytes, tmp_path, box: tuple[float, float, float, float]) -> int:
    """Dark pixels of the first page, rasterized at 150 dpi, in ``box`` (left, top, right,
    bottom, fractions of the page)."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    source = tmp_path / "page.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-gray", "-png",
                    str(source), str(tmp_path / "page")], check=True)
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    width, height = image.size
    left, top, right, bottom = box
    region = image.crop((int(left * width), int(top * height), int(right * width),
                         int(bottom * height)))
    return sum(region.histogram()[:128])


def test_the_badge_prints_the_name_in_any_european_script(tmp_path):
    trader = Trader(number=42, last_name=NAME, first_name=FIRST_NAME, legal_name=LEGAL_NAME)
    pdf = badges.badge_pdf(trader, "https://regie.example/lunel/markets/b/x", "Мерія Луніля")
    text = text_of(pdf)
    for expected in (NAME, FIRST_NAME, LEGAL_NAME, "Мерія Луніля", "N° 42"):
        assert expected in text
    assert "■" not in text
    assert all("DejaVuSans" in font for font in fonts_of(pdf))
    # the name, right of the photo, under the number
    assert ink(pdf, tmp_path, (0.30, 0.35, 0.95, 0.55)) > 100


def test_the_ticket_sheet_prints_in_ukrainian(tmp_path):
    pdf = sheet.ticket_sheet("Ринок Ølga Ščerbakova", "uk")
    text = text_of(pdf)
    for expected in ("Ринок Ølga Ščerbakova", "Аркуш квитків", "Демонстратор", "Блокування"):
        assert expected in text
    assert ink(pdf, tmp_path, (0.0, 0.0, 1.0, 0.1)) > 200  # the title line


def test_the_placement_priority_prints_the_names(signed_in, town, transaction, tmp_path):
    day = dt.date.today() - dt.timedelta(days=7)
    with transaction() as (session, place):
        market = Market(establishment_id=place.id, name="Базар", weekdays=str(day.isoweekday()),
                        tariff_standard=100)
        trader = Trader(establishment_id=place.id, number=7, last_name=NAME,
                        first_name=FIRST_NAME, legal_name=f"{NAME} {FIRST_NAME}",
                        address="x", siret="73282932000074", badge_token="fonts-7")
        session.add_all([market, trader])
        session.flush()
        session.add(Ticket(establishment_id=place.id, trader_id=trader.id, market_id=market.id,
                           day=day, metres=4, amount=400))
    cadre = signed_in(roles={town: ["markets.cadre"]})
    pdf = cadre.get("/lunel/markets/office/exports/placement-priority.pdf").data
    text = text_of(pdf)
    assert f"7 {NAME} {FIRST_NAME}" in text and "Базар" in text and "■" not in text
    assert ink(pdf, tmp_path, (0.1, 0.1, 0.6, 0.16)) > 100  # the first row


def test_the_duplicate_stamp_is_in_the_same_fonts():
    stamp = _stamp(595, 842)
    fonts = {str(font.get_object()["/BaseFont"])
             for font in stamp.pages[0]["/Resources"]["/Font"].values()}
    assert all("DejaVuSans" in font for font in fonts)
