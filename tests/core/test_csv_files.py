"""CSV files for spreadsheets: what Régie writes opens cleanly and cannot run a formula; what
it reads is checked as a file before any line, and refused lines become a reject file."""

from __future__ import annotations

import csv
import io
import re

import pytest

from regie.api import Rejects, csv_bytes, read_csv, safe_cell
from regie.services.errors import Invalid


def test_written_files_open_in_a_spreadsheet_with_formulas_neutralised():
    data = csv_bytes(["name", "amount"], [["=HYPERLINK(\"x\")", -1250], ["@SUM(A1)", 3],
                                          ["+33 6 12", None], ["Dupont; fils", 0]])

    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows == [["name", "amount"], ["'=HYPERLINK(\"x\")", "-1250"], ["'@SUM(A1)", "3"],
                    ["'+33 6 12", ""], ["Dupont; fils", "0"]]


@pytest.mark.parametrize("value", ["-5", "\tcmd", "\rcmd", "=1+1"])
def test_text_that_starts_like_a_formula_is_quoted(value):
    assert safe_cell(value) == f"'{value}"


def test_negative_numbers_stay_numbers():
    assert safe_cell(-12.5) == "-12.5"
    assert safe_cell(True) == "True"


def test_the_separator_is_found_and_line_numbers_count_physical_lines():
    data = "n;name;metres\r\n1;Dupont;6\r\n\r\n2;\"Le Gall\nfils\";4\r\n3;Martin;8\r\n"

    lines = read_csv(data.encode("utf-8"), columns=3, header=True)

    assert [(line.number, line.cells) for line in lines] == [
        (2, ["1", "Dupont", "6"]), (4, ["2", "Le Gall\nfils", "4"]), (6, ["3", "Martin", "8"])]
    assert lines[1].raw == "2;\"Le Gall\nfils\";4"


def test_a_comma_file_and_a_byte_order_mark_are_read():
    lines = read_csv("\ufeff1,Dupont,6\n".encode(), columns=3)

    assert lines[0].cells == ["1", "Dupont", "6"]


@pytest.mark.parametrize(("data", "message"), [
    ("1;Dupont;6\n".encode("cp1252") + "2;Hélène;4\n".encode("cp1252"), "not UTF-8 text (line 2)"),
    (b"1 Dupont 6\n", "No column separator found"),
    (b"1;Dupont\n", "has 2 columns where 3 are expected"),
    (b"  \n\n", "The file is empty"),
])
def test_a_file_of_the_wrong_kind_is_refused_as_a_whole(data, message):
    with pytest.raises(Invalid, match=re.escape(message)):
        read_csv(data, columns=3)


def test_rejects_give_a_readable_file_and_a_file_to_correct_and_import_again():
    rejects = Rejects(header="n;name;metres")
    rejects.add(3, "unknown trader 999", "3;999;6")
    rejects.add(7, "metres out of range (1 to 30)", "7;12;-4")

    assert len(rejects) == 2
    report = list(csv.reader(io.StringIO(rejects.to_csv().decode("utf-8-sig")), delimiter=";"))
    assert report == [["line", "reason", "original line"],
                      ["3", "unknown trader 999", "3;999;6"],
                      ["7", "metres out of range (1 to 30)", "7;12;-4"]]
    again = read_csv(rejects.lines_file(), columns=3, header=True)
    assert [line.cells for line in again] == [["3", "999", "6"], ["7", "12", "-4"]]


def test_iter_csv_checks_the_file_when_it_starts_and_gives_records_one_by_one():
    from regie.services.csv_files import iter_csv

    records = iter_csv("1;2\n3;4;5\n", columns=3)
    with pytest.raises(Invalid, match="Line 1 has 2 columns"):
        next(records)
    lines = list(iter_csv("a;b\n\n1;2\n\"x\ny\";3\n", header=True))
    assert [(line.number, line.cells, line.raw) for line in lines] == [
        (3, ["1", "2"], "1;2"), (4, ["x\ny", "3"], "\"x\ny\";3")]
