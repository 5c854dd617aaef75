"""A payee's DBF file, written with the ``dbf`` package and read back with it: every record,
its text in the payee's code page (transliterated where the code page lacks a letter), the
amounts to the kopiyka, and a refusal that leaves no file when a character has no reading."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import dbf
import pytest

from regie.api import Veto
from regie_billpay.reports.dbf_files import DbfLine, payee_file_bytes, write_payee_file

DAY = dt.date(2026, 11, 20)


def _line(number: int, surname: str, amount: int, address: str = "ул. 50 лет Октября, 3"):
    return DbfLine(number=number, bill=1000 + number, day=DAY, desk="K01",
                   account=f"0{number:06d}", surname=surname, address=address,
                   service="GAS", period=dt.date(2026, 10, 1), amount=amount)


def _read(path):
    table = dbf.Table(str(path))
    table.open()
    try:
        rows = [{name.lower(): record[name] for name in table.field_names} for record in table]
        return table.codepage.name, rows
    finally:
        table.close()


def test_cp866_file_reads_back_with_the_same_records(tmp_path):
    lines = [_line(1, "Петренко Євген", 123456), _line(2, "Коваль Ольга", 1),
             _line(3, "Мороз Ярослав", 99999999)]
    path = tmp_path / "gas.dbf"

    assert write_payee_file(path, lines, encoding="cp866", payee="GAS") == 3

    codepage, rows = _read(path)
    assert codepage == "cp866"
    assert path.read_bytes()[0] == 0x03  # dBase III without memo
    assert [row["surname"].rstrip() for row in rows] == [
        "Петренко Євген", "Коваль Ольга", "Мороз Ярослав"]
    assert [Decimal(str(row["amount"])) * 100 for row in rows] == [123456, 1, 99999999]
    assert [row["npp"] for row in rows] == [1, 2, 3]
    assert rows[0]["bill"] == 1001 and rows[0]["paydate"] == DAY
    assert rows[0]["period"] == dt.date(2026, 10, 1)
    assert rows[0]["account"].rstrip() == "0000001"
    assert rows[0]["address"].rstrip() == "ул. 50 лет Октября, 3"


def test_letters_cp866_lacks_are_transliterated_not_corrupted(tmp_path):
    path = tmp_path / "water.dbf"
    write_payee_file(path, [_line(1, "Іваненко Ґалина", 500, address="вул. Ірпінська, 1")],
                     encoding="cp866")

    _codepage, rows = _read(path)
    assert rows[0]["surname"].rstrip() == "Iваненко Галина"
    assert rows[0]["address"].rstrip() == "вул. Iрпiнська, 1"
    assert b"?" not in path.read_bytes()


def test_cp1251_payee_keeps_every_ukrainian_letter(tmp_path):
    path = tmp_path / "heat.dbf"
    write_payee_file(path, [_line(1, "Іваненко Ґалина Ї’жак", 700)], encoding="cp1251")

    codepage, rows = _read(path)
    assert codepage == "cp1251"
    assert path.read_bytes()[29] == 0xC9  # the code page mark dBase readers look at
    assert rows[0]["surname"].rstrip() == "Іваненко Ґалина Ї’жак"


def test_character_without_reading_refuses_the_file_and_writes_nothing(tmp_path):
    path = tmp_path / "gas.dbf"
    with pytest.raises(Veto) as refused:
        write_payee_file(path, [_line(1, "Коваль", 100), _line(2, "Ван 王", 200)],
                         encoding="cp866", payee="GAS")

    message = str(refused.value)
    assert "王" in message and "cp866" in message and "1002" in message
    assert not path.exists()


def test_unknown_code_page_is_refused_with_its_name():
    with pytest.raises(Veto, match="koi9"):
        payee_file_bytes([_line(1, "Коваль", 100)], encoding="koi9")


def test_bytes_are_a_readable_table(tmp_path):
    content = payee_file_bytes([_line(1, "Коваль", 100)], encoding="cp866")
    path = tmp_path / "copy.dbf"
    path.write_bytes(content)
    _codepage, rows = _read(path)
    assert [row["surname"].rstrip() for row in rows] == ["Коваль"]
