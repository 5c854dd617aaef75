"""Sheets of login labels to hand out to pupils (seed: « Etiquettes login - passe »), with the
« Mise en page »: rows × columns per A4 page, label size, margins and gaps, in millimetres."""

from __future__ import annotations

import io
from collections.abc import Sequence

import attrs
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from regie.api import Invalid
from regie.api import gettext as _
from regie_reservation.models import Individual

PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
PADDING_MM = 3


@attrs.frozen
class Layout:
    rows: int = 8
    columns: int = 3
    width: float = 70.0
    height: float = 37.0
    top: float = 0.5
    left: float = 0.0
    column_gap: float = 0.0
    row_gap: float = 0.0

    @property
    def per_page(self) -> int:
        return self.rows * self.columns

    def origin(self, index: int) -> tuple[float, float]:
        """The top-left corner (mm from the page's top-left) of label ``index`` of a page,
        filled row by row."""
        row, column = divmod(index % self.per_page, self.columns)
        return (self.left + column * (self.width + self.column_gap),
                self.top + row * (self.height + self.row_gap))


def layout_from(form: dict[str, str], default: Layout | None = None) -> Layout:
    """The layout typed in the « Mise en page » form, or :class:`Invalid` saying what does not
    fit on an A4 page."""
    default = default or Layout()
    values, errors = {}, {}
    for field in attrs.fields(Layout):
        text = str(form.get(field.name, "") or "").strip().replace(",", ".")
        if not text:
            values[field.name] = getattr(default, field.name)
            continue
        try:
            number = int(text) if field.type in (int, "int") else float(text)
        except ValueError:
            errors[field.name] = _("type a number")
            continue
        if number < 0 or (field.name in ("rows", "columns", "width", "height") and number <= 0):
            errors[field.name] = _("must be more than zero")
        values[field.name] = number
    if errors:
        raise Invalid(errors)
    layout = Layout(**values)
    if layout.left + layout.columns * layout.width + (layout.columns - 1) * layout.column_gap \
            > PAGE_WIDTH_MM + 0.01:
        errors["columns"] = _("%(n)d columns of %(w)s mm do not fit across an A4 page "
                              "(210 mm)", n=layout.columns, w=layout.width)
    if layout.top + layout.rows * layout.height + (layout.rows - 1) * layout.row_gap \
            > PAGE_HEIGHT_MM + 0.01:
        errors["rows"] = _("%(n)d rows of %(h)s mm do not fit down an A4 page (297 mm)",
                           n=layout.rows, h=layout.height)
    if errors:
        raise Invalid(errors)
    return layout


def label_lines(individual: Individual, site_address: str) -> list[str]:
    password = individual.initial_password or _("(chosen by the family)")
    return [individual.full_name, individual.class_name,
            _("Login: %(login)s", login=individual.login or "—"),
            _("Password: %(password)s", password=password), site_address]


def render(chosen: Sequence[Individual], layout: Layout, site_address: str,
           title: str = "") -> bytes:
    """The PDF of the labels of ``chosen``, in order."""
    output = io.BytesIO()
    pdf = canvas.Canvas(output, pagesize=A4, pageCompression=1)
    pdf.setTitle(title or _("Login labels"))
    page_height = A4[1]
    for index, individual in enumerate(chosen):
        if index and index % layout.per_page == 0:
            pdf.showPage()
        left, top = layout.origin(index)
        lines = label_lines(individual, site_address)
        size = max(6.0, min(10.0, layout.height / (len(lines) + 1) * 2))
        x = (left + PADDING_MM) * mm
        y = page_height - (top + PADDING_MM) * mm - size
        width = (layout.width - 2 * PADDING_MM) * mm
        for number, line in enumerate(lines):
            font = "Helvetica-Bold" if number in (0, 3) else "Helvetica"
            pdf.setFont(font, size)
            while line and pdf.stringWidth(line, font, size) > width:
                line = line[:-1]
            pdf.drawString(x, y, line)
            y -= size * 1.2
    if not chosen:
        pdf.drawString(20 * mm, page_height - 20 * mm, _("No label to print."))
    pdf.showPage()
    pdf.save()
    return output.getvalue()
