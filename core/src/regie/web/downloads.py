"""Responses that hand a file to the browser."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response

from regie.services.csv_files import csv_bytes


def file_response(content: bytes, filename: str, content_type: str, *,
                  inline: bool = False) -> Response:
    """``content`` as a download named ``filename`` (or shown in place with ``inline``), never
    cached by shared caches and never sniffed as another type."""
    response = Response(content, mimetype=content_type)
    response.headers.set("Content-Disposition", "inline" if inline else "attachment",
                         filename=filename)
    response.headers["Content-Length"] = str(len(content))
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def csv_response(filename: str, header: Iterable[object] | None,
                 rows: Iterable[Iterable[object]]) -> Response:
    """A CSV download for spreadsheets (see :mod:`regie.services.csv_files`)."""
    return file_response(csv_bytes(header, rows), filename, "text/csv; charset=utf-8")
