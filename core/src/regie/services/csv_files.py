"""CSV files to and from spreadsheets.

Written files are what French and Ukrainian offices open in a spreadsheet: UTF-8 with a byte
order mark, ``;`` separated, CRLF line ends, and every cell a spreadsheet would run as a formula
(``= + - @``, tab, carriage return at the start) neutralised with a leading ``'``.

Read files are checked as files first (text encoding, separator), with a clear message, before
any line is looked at; then the caller judges each line and collects the bad ones in
:class:`Rejects`, which becomes the reject file a person corrects and imports again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

import attrs

from regie.i18n import gettext as _
from regie.services.errors import Invalid

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
#: The key of :class:`Invalid` errors about the file as a whole.
FILE = "file"


def safe_cell(value: object) -> str:
    """``value`` as the text of a cell; text a spreadsheet would read as a formula gets a
    leading ``'``. Numbers stay numbers (a negative amount is not a formula)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Iterable[object] | None, rows: Iterable[Iterable[object]], *,
             delimiter: str = ";") -> str:
    """The rows (after ``header`` when given) as CSV text, every cell through
    :func:`safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    if header is not None:
        writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def csv_bytes(header: Iterable[object] | None, rows: Iterable[Iterable[object]], *,
              delimiter: str = ";") -> bytes:
    """:func:`csv_text` encoded as a file for spreadsheets: UTF-8 with a byte order mark."""
    return (BOM + csv_text(header, rows, delimiter=delimiter)).encode("utf-8")


@attrs.frozen
class CsvLine:
    """One record of a CSV file: its line number in the file (from 1), its cells, and its text
    as it was in the file (for the reject file)."""

    number: int
    cells: list[str]
    raw: str


def decode(data: bytes | str) -> str:
    """The text of a file that must be UTF-8 (with or without a byte order mark)."""
    if isinstance(data, str):
        return data.removeprefix(BOM)
    try:
        return data.decode("utf-8").removeprefix(BOM)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise Invalid({FILE: _("The file is not UTF-8 text (line %(line)d): save it from the "
                               "spreadsheet as \"CSV UTF-8\".", line=line)}) from None


def sniff_delimiter(text: str, delimiters: str = ";,") -> str:
    """The separator of ``text``: of ``delimiters``, the one its first line uses most."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: first.count(delimiter) for delimiter in delimiters}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    if counts[best] == 0:
        raise Invalid({FILE: _("No column separator found on the first line: the file must "
                               "separate its columns with %(separators)s.",
                               separators=" ".join(f"« {d} »" for d in delimiters))})
    return best


def read_csv(data: bytes | str, *, columns: int | None = None, delimiters: str = ";,",
             header: bool = False) -> list[CsvLine]:
    """The non-blank records of a CSV file, in order.

    Raises :class:`Invalid` for what makes the whole file unreadable: not UTF-8, no separator
    of ``delimiters`` on the first line, or (with ``columns``) a first record whose number of
    columns shows the file is of another kind. Later lines with a wrong number of columns are
    returned as they are, for the caller to reject with a reason. With ``header``, the first
    record is a header and is not returned.
    """
    return list(iter_csv(data, columns=columns, delimiters=delimiters, header=header))


def iter_csv(data: bytes | str, *, columns: int | None = None, delimiters: str = ";,",
             header: bool = False) -> Iterator[CsvLine]:
    """:func:`read_csv` one record at a time, for files of many lines: no record outlives its
    turn, so a file of 100 000 lines does not keep 100 000 records alive. The checks of the
    whole file (encoding, separator, columns of the first record) raise when the iteration
    starts, before the first record is given; a record that cannot be read raises when it is
    reached."""
    text = decode(data)
    if not text.strip():
        raise Invalid({FILE: _("The file is empty.")})
    delimiter = sniff_delimiter(text, delimiters) if (columns or 2) > 1 else delimiters[0]
    records = _records(text.splitlines(keepends=True), delimiter)
    if header:
        next(records, None)
    first = next(records, None)
    if first is None:
        return
    if columns and len(first.cells) != columns:
        raise Invalid({FILE: _("Line %(line)d has %(found)d columns where %(expected)d are "
                               "expected: is it the right file, with « %(separator)s » between "
                               "columns?", line=first.number, found=len(first.cells),
                               expected=columns, separator=delimiter)})
    yield first
    yield from records


def _records(lines: Sequence[str], delimiter: str) -> Iterator[CsvLine]:
    reader = csv.reader(lines, delimiter=delimiter)
    start = 1
    try:
        for cells in reader:
            end = reader.line_num
            cells = [cell.strip() for cell in cells]
            if any(cells):
                raw = lines[start - 1] if end == start else "".join(lines[start - 1:end])
                yield CsvLine(start, cells, raw.rstrip("\r\n"))
            start = end + 1
    except csv.Error as exc:
        raise Invalid({FILE: _("Line %(line)d cannot be read as CSV: %(reason)s", line=start,
                               reason=str(exc))}) from None


@attrs.frozen
class Reject:
    number: int
    reason: str
    raw: str


class Rejects:
    """The lines of a file that were not imported, with the reason of each.

    :meth:`to_csv` is the reject file people read (line number, reason, the original line);
    :meth:`lines_file` holds only the original lines (after the file's header, if any) so the
    corrected file can be imported again as it is.
    """

    def __init__(self, header: str | None = None) -> None:
        self.header = header
        self._rejects: list[Reject] = []

    def add(self, number: int, reason: str, raw: str = "") -> None:
        self._rejects.append(Reject(number, str(reason), raw))

    def __len__(self) -> int:
        return len(self._rejects)

    def __bool__(self) -> bool:
        return bool(self._rejects)

    def __iter__(self) -> Iterator[Reject]:
        return iter(self._rejects)

    def to_csv(self) -> bytes:
        return csv_bytes([_("line"), _("reason"), _("original line")],
                         ([reject.number, reject.reason, reject.raw] for reject in self))

    def lines_file(self) -> bytes:
        lines = [self.header] if self.header is not None else []
        lines.extend(reject.raw for reject in self)
        return (BOM + "\r\n".join(lines) + "\r\n").encode("utf-8")
