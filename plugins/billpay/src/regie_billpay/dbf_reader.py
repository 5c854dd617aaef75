"""Reading the settlement centre's dBase III files without guessing at their text.

Fields come back as the bytes of the file; :func:`decode_field` turns them into text in the
file's code page and refuses (never garbles) a value whose bytes mean nothing there, or whose
letters show the file was written in another code page.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

import attrs

from regie.api import Invalid
from regie.api import gettext as _

FILE = "file"
# dBase language driver ids of the code pages the centre uses.
LANGUAGE_DRIVERS = {0x01: "cp437", 0x02: "cp850", 0x03: "cp1252", 0x26: "cp866",
                    0x64: "cp852", 0x65: "cp866", 0x57: "cp1251", 0xC9: "cp1251"}
_ALPHABET = "абвгґдеєёжзиіїйклмнопрстуфхцчшщъыьэюя"
EXPECTED = frozenset(
    _ALPHABET + _ALPHABET.upper() + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    + "0123456789 .,;:-_/\\'\"()№#+&’ʼ«»!?%*")


@attrs.frozen
class Field:
    name: str
    kind: str
    length: int


@attrs.frozen
class DbfFile:
    fields: tuple[Field, ...]
    encoding: str | None
    """The code page the file's header declares, if any."""
    records: tuple[tuple[int, dict[str, bytes]], ...]
    """(record number, field name → raw bytes) of the records not deleted."""


def read_dbf(data: bytes) -> DbfFile:
    """The fields and records of a dBase III file; :class:`Invalid` when it is not one."""
    if len(data) < 33 or data[0] & 0x07 != 0x03:
        raise Invalid({FILE: _("This is not a dBase III (DBF) file.")})
    count, header_length, record_length = struct.unpack("<IHH", data[4:12])
    fields, offset = [], 32
    while offset + 32 <= header_length and data[offset] != 0x0D:
        raw = data[offset:offset + 32]
        name = raw[:11].split(b"\0")[0].decode("ascii", "replace").strip().upper()
        fields.append(Field(name, chr(raw[11]), raw[16]))
        offset += 32
    if not fields or sum(f.length for f in fields) + 1 != record_length:
        raise Invalid({FILE: _("The DBF header is damaged: its fields do not match its record "
                               "length.")})
    records = []
    for number in range(1, count + 1):
        start = header_length + (number - 1) * record_length
        record = data[start:start + record_length]
        if len(record) < record_length or record[:1] == b"\x1a":
            raise Invalid({FILE: _("The DBF file is cut short: record %(number)d of %(count)d "
                                   "is missing.", number=number, count=count)})
        if record[:1] == b"*":
            continue
        values, position = {}, 1
        for field in fields:
            values[field.name] = record[position:position + field.length]
            position += field.length
        records.append((number, values))
    return DbfFile(tuple(fields), LANGUAGE_DRIVERS.get(data[29]), tuple(records))


def decode_field(raw: bytes, encoding: str) -> str:
    """The text of a field in ``encoding``; :class:`ValueError` with the reason when its bytes
    have no meaning there or give characters no Ukrainian or Russian text holds (the sign of
    a file in another code page)."""
    try:
        text = raw.decode(encoding).strip(" \0")
    except UnicodeDecodeError as exc:
        raise ValueError(_("byte 0x%(byte)02X has no meaning in code page %(encoding)s: the "
                           "file is in another code page", byte=raw[exc.start],
                           encoding=encoding)) from None
    for char in text:
        if char not in EXPECTED:
            raise ValueError(_("the character “%(char)s” (U+%(code)04X) is not expected in "
                               "%(encoding)s text: the file is probably in another code page",
                               char=char, code=ord(char), encoding=encoding))
    return text


def rows(dbf: DbfFile, encoding: str) -> Iterator[tuple[int, dict[str, str] | str, str]]:
    """``(record number, values or the reason they cannot be read, raw text)`` per record."""
    for number, values in dbf.records:
        raw = b"|".join(values.values()).decode(encoding, "replace").strip()
        try:
            yield number, {name.lower(): decode_field(value, encoding)
                           for name, value in values.items()}, raw
        except ValueError as exc:
            yield number, str(exc), raw
