"""A small top-down layout on the reportlab canvas, quick enough for batches of thousands.

Content is a list of :class:`Block` (a height and a function drawing it at a given top), measured
before anything is drawn: a roll receipt gets a page exactly as tall as its content, a long A4
receipt breaks between blocks and repeats its table header.
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Callable

import attrs
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfgen.canvas import Canvas

from regie.documents import fonts

log = logging.getLogger("regie.documents")

Draw = Callable[[Canvas, float], None]


@attrs.frozen
class Block:
    """``draw(canvas, top)`` paints the block between ``top`` and ``top - height``.

    ``table_row`` blocks get ``Flow.table_header`` repeated above them on a new page.
    """

    height: float
    draw: Draw
    table_row: bool = False


class Flow:
    """Blocks stacked in a column ``left``..``left + width``."""

    def __init__(self, left: float, width: float) -> None:
        self.left = left
        self.width = width
        self.right = left + width
        self.center = left + width / 2
        self.blocks: list[Block] = []
        self.table_header: Block | None = None

    @property
    def height(self) -> float:
        return sum(block.height for block in self.blocks)

    def space(self, height: float) -> None:
        self.blocks.append(Block(height, _nothing))

    def text(self, text: str, font: str, size: float, align: str = "left", *,
             leading: float = 1.25, color: float = 0.0) -> None:
        """``text`` wrapped to the column, one block per line."""
        line_height = size * leading
        for line in wrap(text, font, size, self.width):
            x = {"left": self.left, "center": self.center, "right": self.right}[align]
            self.blocks.append(Block(line_height, functools.partial(
                _draw_string, line, x, align, font, size, size * (leading - 1) / 2 + size * 0.8,
                color)))

    def pair(self, left: str, right: str, font: str, size: float, *, right_font: str | None = None,
             leading: float = 1.25, table_row: bool = False, gap: float = 6.0) -> None:
        """``left`` wrapped in the room ``right`` leaves, ``right`` aligned on its last line."""
        right_font = right_font or font
        right_width = fonts.width(right, right_font, size)
        lines = wrap(left, font, size, max(self.width - right_width - gap, self.width / 3))
        line_height = size * leading
        baseline = size * (leading - 1) / 2 + size * 0.8

        def draw(canvas: Canvas, top: float) -> None:
            canvas.setFont(font, size)
            for number, line in enumerate(lines):
                canvas.drawString(self.left, top - baseline - number * line_height, line)
            canvas.setFont(right_font, size)
            canvas.drawRightString(self.right, top - baseline - (len(lines) - 1) * line_height,
                                   right)

        self.blocks.append(Block(line_height * len(lines), draw, table_row))

    def columns(self, cells: list[tuple[str, float, str]], font: str, size: float, *,
                leading: float = 1.25, padding: float = 0.0, table_row: bool = True,
                header: bool = False) -> None:
        """A table row: ``cells`` are ``(text, right edge offset, align)``; the first cell is
        wrapped to the room before the second's text. ``padding`` separates rows more than
        the lines of one wrapped cell."""
        line_height = size * leading
        baseline = padding / 2 + size * (leading - 1) / 2 + size * 0.8
        first_text, first_edge, _ = cells[0]
        widest_other = max((fonts.width(text, font, size) for text, _, _ in cells[1:]),
                           default=0)
        room = (cells[1][1] - widest_other - 8) if len(cells) > 1 else first_edge
        lines = wrap(first_text, font, size, max(room, self.width / 4))

        def draw(canvas: Canvas, top: float) -> None:
            canvas.setFont(font, size)
            for number, line in enumerate(lines):
                canvas.drawString(self.left, top - baseline - number * line_height, line)
            for text, edge, align in cells[1:]:
                x = self.left + edge
                if align == "right":
                    canvas.drawRightString(x, top - baseline, text)
                else:
                    canvas.drawString(x, top - baseline, text)

        block = Block(line_height * len(lines) + padding, draw, table_row)
        if header:
            self.table_header = block
        self.blocks.append(block)

    def rule(self, *, dashed: bool = False, width: float = 0.5, space: float = 4.0,
             table_row: bool = False) -> None:
        def draw(canvas: Canvas, top: float) -> None:
            canvas.setLineWidth(width)
            if dashed:
                canvas.setDash(2, 2)
            canvas.line(self.left, top - space / 2, self.right, top - space / 2)
            if dashed:
                canvas.setDash()

        self.blocks.append(Block(space, draw, table_row))

    def boxed(self, text: str, font: str, size: float, *, padding: float = 3.0) -> None:
        """``text`` centred in a frame: the duplicate mark."""
        text_width = fonts.width(text, font, size)
        height = size + 2 * padding

        def draw(canvas: Canvas, top: float) -> None:
            canvas.setLineWidth(1.2)
            canvas.rect(self.center - text_width / 2 - 2 * padding, top - height,
                        text_width + 4 * padding, height)
            canvas.setFont(font, size)
            canvas.drawCentredString(self.center, top - padding - size * 0.8, text)

        self.blocks.append(Block(height, draw))

    def image(self, reader: ImageReader, max_width: float, max_height: float,
              align: str = "center") -> None:
        pixel_width, pixel_height = reader.getSize()
        scale = min(max_width / pixel_width, max_height / pixel_height)
        width, height = pixel_width * scale, pixel_height * scale
        x = {"left": self.left, "center": self.center - width / 2,
             "right": self.right - width}[align]

        def draw(canvas: Canvas, top: float) -> None:
            canvas.drawImage(reader, x, top - height, width, height, mask="auto")

        self.blocks.append(Block(height, draw))

    def pages(self, capacity: float) -> list[list[Block]]:
        """The blocks cut into pages of at most ``capacity`` points, the table header repeated
        above table rows continued on a new page."""
        pages: list[list[Block]] = [[]]
        used = 0.0
        for block in self.blocks:
            if used + block.height > capacity and pages[-1]:
                pages.append([])
                used = 0.0
                if block.table_row and self.table_header is not None:
                    pages[-1].append(self.table_header)
                    used = self.table_header.height
            pages[-1].append(block)
            used += block.height
        return pages


def draw_blocks(canvas: Canvas, blocks: list[Block], top: float) -> None:
    for block in blocks:
        block.draw(canvas, top)
        top -= block.height


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    return simpleSplit(text, font, size, width) or [""]


@functools.lru_cache(maxsize=32)
def image_reader(data: bytes) -> ImageReader | None:
    """A reusable reader for logo bytes; ``None`` (and a warning) when they are not an image,
    so a broken logo never stops a receipt."""
    try:
        reader = ImageReader(io.BytesIO(data))
        reader.getSize()
        reader.getRGBData()
    except Exception as exc:
        log.warning("ignoring an unreadable logo (%d bytes): %s", len(data), exc)
        return None
    return reader


def _nothing(canvas: Canvas, top: float) -> None:
    return None


def _draw_string(text: str, x: float, align: str, font: str, size: float, baseline: float,
                 color: float, canvas: Canvas, top: float) -> None:
    canvas.setFont(font, size)
    if color:
        canvas.setFillGray(color)
    if align == "center":
        canvas.drawCentredString(x, top - baseline, text)
    elif align == "right":
        canvas.drawRightString(x, top - baseline, text)
    else:
        canvas.drawString(x, top - baseline, text)
    if color:
        canvas.setFillGray(0)
