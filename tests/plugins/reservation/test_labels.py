"""The labels PDF read back: page count, where each label's text is, what it says, and the
« Mise en page » checks."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from regie.api import Invalid
from regie_reservation import labels
from regie_reservation.labels import Layout
from regie_reservation.models import Individual

MM = 72 / 25.4
SITE = "https://regie.example.org/college-jean-moulin/reservation/portal/"


def pupils(count: int) -> list[Individual]:
    return [Individual(id=n, last_name=f"Martin{n}", first_name="Léa", class_name="6A",
                       login=f"lea.martin{n}", initial_password=f"bako-{n:02d}-rimu")
            for n in range(1, count + 1)]


def texts_with_positions(page) -> list[tuple[str, float, float]]:
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            found.append((text.strip(), tm[4], tm[5]))

    page.extract_text(visitor_text=visit)
    return found


def test_page_count_follows_rows_and_columns(app):
    layout = Layout(rows=4, columns=2, width=100, height=70)
    with app.test_request_context("/?lang=en"):
        reader = PdfReader(io.BytesIO(labels.render(pupils(17), layout, SITE)))
    assert len(reader.pages) == 3   # 8 per page


def test_each_label_is_at_its_place_with_login_password_and_address(app):
    layout = Layout(rows=3, columns=2, width=90, height=60, top=10, left=15, column_gap=5,
                    row_gap=4)
    with app.test_request_context("/?lang=en"):
        reader = PdfReader(io.BytesIO(labels.render(pupils(6), layout, SITE)))
    found = texts_with_positions(reader.pages[0])
    names = {text: (x, y) for text, x, y in found if text.startswith("Martin")}
    page_height = 297 * MM
    for number in range(1, 7):
        left_mm, top_mm = layout.origin(number - 1)
        x, y = names[f"Martin{number} Léa"]
        assert x == pytest.approx((left_mm + labels.PADDING_MM) * MM, abs=0.5)
        assert page_height - y == pytest.approx((top_mm + labels.PADDING_MM) * MM, abs=12)
    text = reader.pages[0].extract_text()
    assert "Login: lea.martin5" in text and "Password: bako-05-rimu" in text
    assert SITE[:40] in text


def test_a_password_the_family_chose_is_never_printed(app):
    pupil = pupils(1)[0]
    pupil.initial_password = None
    pupil.password_hash = "argon2…"
    with app.test_request_context("/?lang=en"):
        text = PdfReader(io.BytesIO(labels.render([pupil], Layout(), SITE))).pages[0]\
            .extract_text()
    assert "chosen by the family" in text


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"columns": "3", "width": "80"}, "columns", "do not fit across"),
    ({"rows": "9", "height": "37"}, "rows", "do not fit down"),
    ({"rows": "0"}, "rows", "more than zero"),
    ({"width": "wide"}, "width", "type a number"),
])
def test_a_layout_that_does_not_fit_is_refused(app, form, field, message):
    with app.test_request_context("/?lang=en"), pytest.raises(Invalid) as refused:
        labels.layout_from(form)
    assert message in refused.value.errors[field]


def test_the_default_layout_is_24_labels_of_70_by_37(app):
    with app.test_request_context("/?lang=en"):
        layout = labels.layout_from({})
    assert (layout.per_page, layout.width, layout.height) == (24, 70.0, 37.0)
