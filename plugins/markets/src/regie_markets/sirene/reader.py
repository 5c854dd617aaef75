"""Streaming reader of the INSEE SIRENE files: the monthly stocks (``StockEtablissement_utf8``,
``StockUniteLegale_utf8``) and the daily update files with the same columns.

The files hold millions of lines: they are read line by line and only the rows of the wanted
SIRETs (or SIRENs) are kept, so memory does not grow with the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import attrs

from regie.api import Invalid
from regie.api import gettext as _

ESTABLISHMENTS, LEGAL_UNITS = "establishments", "legal_units"
ESTABLISHMENT_COLUMNS = ("siret", "etatAdministratifEtablissement")
LEGAL_UNIT_COLUMNS = ("siren", "etatAdministratifUniteLegale")
ADDRESS_COLUMNS = ("numeroVoieEtablissement", "typeVoieEtablissement",
                   "libelleVoieEtablissement", "codePostalEtablissement",
                   "libelleCommuneEtablissement")
HIDDEN = "[ND]"
"""What INSEE prints in place of a field under partial diffusion."""


@attrs.frozen
class Record:
    """What the register says about one establishment (or, ``kind == LEGAL_UNITS``, one legal
    unit: then ``siret`` holds the SIREN)."""

    kind: str
    siret: str
    state: str
    since: str
    activity: str = ""
    address: str = ""
    public: bool = True
    name: str = ""


def kind_of(header: list[str]) -> str:
    """Which file this header belongs to; :class:`Invalid` for any other CSV."""
    columns = set(header)
    if all(column in columns for column in ESTABLISHMENT_COLUMNS):
        return ESTABLISHMENTS
    if all(column in columns for column in LEGAL_UNIT_COLUMNS):
        return LEGAL_UNITS
    raise Invalid({"file": _("This is not a SIRENE file of establishments "
                             "(StockEtablissement) or legal units (StockUniteLegale): its first "
                             "line lacks the columns %(columns)s.",
                             columns=", ".join(ESTABLISHMENT_COLUMNS))})


def open_text(path: Path) -> IO[str]:
    """The file as UTF-8 text, read as a stream; :class:`Invalid` when it is not text."""
    stream = open(path, "rb")  # noqa: SIM115 (closed by the caller through the wrapper)
    head = stream.read(4096)
    stream.seek(0)
    if b"\x00" in head:
        stream.close()
        raise Invalid({"file": _("This is not a CSV text file (is it still zipped?).")})
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:
            stream.close()
            raise Invalid({"file": _("The file is not UTF-8 text: take the "
                                     "StockEtablissement_utf8 file.")}) from None
    return io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")


def records(text: IO[str], wanted: set[str]) -> Iterator[tuple[int, Record | None]]:
    """``(line number, record)`` of every data line: ``record`` only for the wanted SIRETs (or
    SIRENs in a legal-unit file), ``None`` for the others (to count progress)."""
    reader = csv.reader(text, delimiter=",")
    header = next(reader, None)
    if not header:
        raise Invalid({"file": _("The file is empty.")})
    if len(header) == 1 and ";" in header[0]:
        header = header[0].split(";")
        reader = csv.reader(text, delimiter=";")
    header = [name.strip().lstrip("\ufeff") for name in header]
    kind = kind_of(header)
    position = {name: index for index, name in enumerate(header)}
    key = position["siret" if kind == ESTABLISHMENTS else "siren"]
    for number, row in enumerate(reader, start=2):
        if len(row) <= key or row[key] not in wanted:
            yield number, None
            continue
        yield number, _record(kind, row, position)


def _cell(row: list[str], position: dict[str, int], name: str) -> str:
    index = position.get(name)
    return row[index].strip() if index is not None and index < len(row) else ""


def _record(kind: str, row: list[str], position: dict[str, int]) -> Record:
    if kind == LEGAL_UNITS:
        name = _cell(row, position, "denominationUniteLegale") or " ".join(filter(None, (
            _cell(row, position, "nomUniteLegale"), _cell(row, position, "prenom1UniteLegale"))))
        return Record(kind, _cell(row, position, "siren"),
                      _cell(row, position, "etatAdministratifUniteLegale"),
                      _cell(row, position, "dateDebut"), name=name,
                      public=_cell(row, position, "statutDiffusionUniteLegale") != "P")
    public = _cell(row, position, "statutDiffusionEtablissement") != "P"
    address = " ".join(part for part in (_cell(row, position, name)
                                         for name in ADDRESS_COLUMNS)
                       if part and part != HIDDEN)
    return Record(kind, _cell(row, position, "siret"),
                  _cell(row, position, "etatAdministratifEtablissement"),
                  _cell(row, position, "dateDebut"),
                  activity=_cell(row, position, "activitePrincipaleEtablissement"),
                  address=address if public else "", public=public,
                  name=_cell(row, position, "denominationUsuelleEtablissement")
                  or _cell(row, position, "enseigne1Etablissement"))
