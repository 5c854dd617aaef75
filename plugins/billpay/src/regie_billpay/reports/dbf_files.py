"""The day's payments of one payee as a dBase III file in the payee's code page.

Text reaches the file as itself, as a look-alike or transliterated (Ukrainian І, ї, Ґ are
missing from cp866), or the file is refused naming the record and the character: never a
``?`` or mojibake in the centre's database.
"""

from __future__ import annotations

import codecs
import datetime as dt
import tempfile
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import attrs
import dbf

from regie.api import Veto
from regie.api import gettext as _

DEFAULT_ENCODING = "cp866"

#: Field layout of a payee register file (dBase III names: 10 characters at most).
FIELDS = ("NPP N(7,0); BILL N(10,0); PAYDATE D; DESK C(10); ACCOUNT C(20); SURNAME C(40); "
          "ADDRESS C(80); SERVICE C(10); PERIOD D; AMOUNT N(12,2)")
TEXT_WIDTHS = {"desk": 10, "account": 20, "surname": 40, "address": 80, "service": 10}

#: Replacements tried before dropping accents: they keep the text in its own script.
LOOKALIKES = {
    "і": "i", "І": "I", "ґ": "г", "Ґ": "Г",
    "₴": "грн", "№": "N", "\u00a0": " ", "\u202f": " ", "\u2009": " ",
    "‘": "'", "’": "'", "ʼ": "'", "`": "'", "“": '"', "”": '"', "«": '"', "»": '"',
    "–": "-", "—": "-", "…": "...",
}
#: Last choices, for code pages without Cyrillic letters that a Ukrainian name may still use.
FALLBACKS = {"ї": "i", "Ї": "I", "є": "e", "Є": "E", "г": "g", "Г": "G"}


@attrs.frozen
class DbfLine:
    """One line of a payee's register: a service and month paid by a bill."""

    number: int
    bill: int
    day: dt.date
    desk: str
    account: str
    surname: str
    address: str
    service: str
    period: dt.date
    amount: int


class Transliterator:
    """Makes text fit a single-byte code page, or raises :class:`Veto`."""

    def __init__(self, encoding: str) -> None:
        self.encoding = check_encoding(encoding)
        self._cache: dict[str, str] = {}

    def fit(self, text: str, *, where: str) -> str:
        try:
            text.encode(self.encoding)
            return text
        except UnicodeEncodeError:
            return "".join(self._char(char, where) for char in text)

    def _char(self, char: str, where: str) -> str:
        if char not in self._cache:
            self._cache[char] = self._convert(char)
        converted = self._cache[char]
        if converted is None:
            raise Veto(_("%(where)s: the character “%(char)s” (U+%(code)04X) has no "
                            "equivalent in code page %(encoding)s; correct the record or "
                            "choose another code page for the payee.", where=where, char=char,
                            code=ord(char), encoding=self.encoding))
        return converted

    def _convert(self, char: str) -> str | None:
        for candidate in (char, LOOKALIKES.get(char), FALLBACKS.get(char),
                          FALLBACKS.get(LOOKALIKES.get(char, ""))):
            if candidate and self._encodable(candidate):
                return candidate
        stripped = "".join(part for part in unicodedata.normalize("NFKD", char)
                           if not unicodedata.combining(part))
        if stripped and stripped != char and self._encodable(stripped):
            return stripped
        return None

    def _encodable(self, text: str) -> bool:
        try:
            text.encode(self.encoding)
        except UnicodeEncodeError:
            return False
        return True


def check_encoding(encoding: str) -> str:
    """The Python name of a single-byte code page the dbf package can mark in a table."""
    try:
        name = codecs.lookup(encoding or DEFAULT_ENCODING).name
        dbf.CodePage(name)
    except (LookupError, dbf.DbfError, KeyError):
        raise Veto(_("'%(encoding)s' is not a DBF code page (use cp866, cp1251, cp437 …).",
                        encoding=encoding)) from None
    return name


def write_payee_file(path: Path, lines: Iterable[DbfLine], *, encoding: str = DEFAULT_ENCODING,
                     payee: str = "") -> int:
    """Write ``lines`` to the dBase III table ``path``; returns the number of records.

    Every text is fitted to the code page first, so a refused character leaves no file behind.
    """
    fitter = Transliterator(encoding)
    records = []
    for line in lines:
        where = _("Payee %(payee)s, bill %(bill)s", payee=payee, bill=line.bill)
        texts = {name: fitter.fit(getattr(line, name), where=where)[:width]
                 for name, width in TEXT_WIDTHS.items()}
        records.append((line.number, line.bill, line.day, texts["desk"], texts["account"],
                        texts["surname"], texts["address"], texts["service"], line.period,
                        Decimal(line.amount).scaleb(-2)))
    table = dbf.Table(str(path), FIELDS, dbf_type="db3", codepage=fitter.encoding)
    table.open(dbf.READ_WRITE)
    try:
        for record in records:
            table.append(record)
    finally:
        table.close()
    return len(records)


def payee_file_bytes(lines: Iterable[DbfLine], *, encoding: str = DEFAULT_ENCODING,
                     payee: str = "") -> bytes:
    """The DBF file of ``lines`` as bytes (the dbf package writes to a real file)."""
    with tempfile.TemporaryDirectory(prefix="regie-billpay-dbf-") as folder:
        path = Path(folder) / "register.dbf"
        write_payee_file(path, lines, encoding=encoding, payee=payee)
        return path.read_bytes()
