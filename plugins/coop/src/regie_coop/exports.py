"""CSV files for spreadsheets: UTF-8 with a byte order mark, ``;`` separated, and cells a
spreadsheet would run as a formula neutralised. (The core has no CSV helper yet; it should own
this one.)"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from flask import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """``value`` as text; text a spreadsheet would read as a formula gets a leading ``'``.
    Numbers stay numbers (a negative amount is not a formula)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Iterable[object], rows: Iterable[Iterable[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def csv_response(filename: str, header: Iterable[object],
                 rows: Iterable[Iterable[object]]) -> Response:
    body = "\ufeff" + csv_text(header, rows)
    return Response(body.encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
