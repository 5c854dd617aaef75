"""The settlement centre's files through the core sync runs: CSV and DBF, idempotent
re-import, bad lines refused with the reject file and nothing imported, DBF code pages."""

from __future__ import annotations

import csv
import io

import dbf
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from regie.api import run_sync
from regie.cli.common import State
from regie.cli.main import cli
from regie_billpay.models import Accrual, City, Payee, Service, Subscriber

CITIES = "code;name\nKRM;Кременчук\nHOR;Горішні Плавні\n"
PAYEES = ("code;name;edrpou;iban;dbf_enc\nVK;КП Кременчукводоканал;03356128;;cp866\n"
          "TE;Кременчуцька ТЕЦ;00131050;UA213223130000026007233566001;cp1251\n")
SERVICES = ("code;name;payee;priority\nHEAT;Опалення;TE;1\nWATER;Вода та каналізація;VK;2\n"
            "HOUSE;Експл. витрати, ліфт, сміття;VK;3\n")
SUBSCRIBERS = ("city;account;surname;street;house;apartment\n"
               "KRM;100001;Петренко;50 лет Октября;12;5\n"
               "KRM;100002;Петрів;вул. 50 лет Октября;12 а;6\n"
               "HOR;200001;Іваненко;Соборна;3;\n")
ACCRUALS = ("city;account;service;period;amount\nKRM;100001;HEAT;2026-09;1200,00\n"
            "KRM;100001;WATER;10.2026;230.75\nKRM;100002;HEAT;2026-10;1 150,50\n")


@pytest.fixture
def place(make_establishment):
    return make_establishment("centre", plugins={"billpay": {"require_client_certificate":
                                                             False}}, locale="uk")


@pytest.fixture
def write(tmp_path):
    def write_(name: str, content: str) -> str:
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        return path

    return write_


def _load(regie_runtime, place, write, *files):
    runs = []
    for name, content in files:
        runs.append(run_sync(regie_runtime, place, "billpay.centre", write(name, content)))
    return runs


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_centre_files_import_and_a_second_import_changes_nothing(regie_runtime, place, write,
                                                                 session):
    files = [("cities.csv", CITIES), ("payees.csv", PAYEES), ("services.csv", SERVICES),
             ("subscribers.csv", SUBSCRIBERS), ("accruals.csv", ACCRUALS)]
    first = _load(regie_runtime, place, write, *files)
    assert [run.state for run in first] == ["succeeded"] * 5
    assert [run.imported for run in first] == [2, 2, 3, 3, 3]

    second = _load(regie_runtime, place, write, *files)
    assert [(run.imported, run.unchanged) for run in second] == [
        (0, 2), (0, 2), (0, 3), (0, 3), (0, 3)]
    assert (_count(session, City), _count(session, Payee), _count(session, Service),
            _count(session, Subscriber), _count(session, Accrual)) == (2, 2, 3, 3, 3)
    heat = session.scalar(select(Payee).where(Payee.code == "TE"))
    assert heat.dbf_encoding == "cp1251"
    second_account = session.scalar(select(Subscriber).where(
        Subscriber.account_number == "100002"))
    assert (second_account.house, second_account.street_key) == ("12А", "50 лет октября")
    amounts = sorted(session.scalars(select(Accrual.amount)))
    assert amounts == [23075, 115050, 120000]


def test_a_changed_accrual_is_updated_not_doubled(regie_runtime, place, write, session):
    _load(regie_runtime, place, write, ("c.csv", CITIES), ("p.csv", PAYEES),
          ("s.csv", SERVICES), ("a.csv", SUBSCRIBERS), ("acc.csv", ACCRUALS))
    [run] = _load(regie_runtime, place, write, ("acc2.csv", ACCRUALS.replace("1200,00",
                                                                              "1300,00")))
    assert (run.imported, run.unchanged) == (1, 2)
    assert sorted(session.scalars(select(Accrual.amount))) == [23075, 115050, 130000]


def test_bad_lines_import_nothing_and_give_the_reject_file(regie_runtime, place, write,
                                                           session):
    _load(regie_runtime, place, write, ("c.csv", CITIES), ("p.csv", PAYEES),
          ("s.csv", SERVICES), ("a.csv", SUBSCRIBERS))
    bad = ACCRUALS + ("KRM;999999;HEAT;2026-10;10,00\n"
                      "KRM;100001;GAS;2026-10;10,00\n"
                      "KRM;100001;HEAT;13.2026;10,00\n"
                      "KRM;100001;HEAT;2026-11;12,345\n"
                      "KRM;100001;HEAT;2026-09;1,00\n")
    [run] = _load(regie_runtime, place, write, ("accruals.csv", bad))
    assert (run.state, run.imported, run.rejected) == ("rejected", 0, 5)
    assert _count(session, Accrual) == 0

    result = CliRunner().invoke(cli, ["sync", "rejects", str(run.id), "-e", "centre"],
                                obj=State(runtime=regie_runtime))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output.lstrip("\ufeff")), delimiter=";"))
    reasons = {int(row[0]): row[1] for row in rows[1:]}
    assert "999999" in reasons[5]
    assert "GAS" in reasons[6]
    assert "13.2026" in reasons[7]
    assert "2 decimals" in reasons[8] or "2 знаки" in reasons[8] or "12,345" in reasons[8]
    assert "line 2" in reasons[9] or "рядок 2" in reasons[9]


def _dbf_file(path, encoding: str, records, *, codepage: str | None = None):
    table = dbf.Table(str(path), "CITY C(10); ACCOUNT C(20); SURNAME C(40); STREET C(60); "
                      "HOUSE C(10); APARTMENT C(10)", codepage=codepage or encoding,
                      dbf_type="db3")
    table.open(dbf.READ_WRITE)
    for record in records:
        table.append(record)
    table.close()
    return path


def _centre_for_subscribers(regie_runtime, place, write):
    _load(regie_runtime, place, write, ("c.csv", CITIES))


def test_a_dbf_in_cp866_imports_its_cyrillic_intact(regie_runtime, place, write, session,
                                                    tmp_path):
    _centre_for_subscribers(regie_runtime, place, write)
    path = _dbf_file(tmp_path / "abon.dbf", "cp866",
                     [("KRM", "100001", "Петренко", "50 лет Октября", "12", "5")])
    run = run_sync(regie_runtime, place, "billpay.subscribers", path)
    assert (run.state, run.imported) == ("succeeded", 1)
    subscriber = session.scalars(select(Subscriber)).one()
    assert (subscriber.surname, subscriber.street) == ("Петренко", "50 лет Октября")


def test_a_dbf_whose_bytes_are_another_code_page_is_refused_not_garbled(
        regie_runtime, place, write, session, tmp_path):
    _centre_for_subscribers(regie_runtime, place, write)
    # written in cp1251 but its header says cp866: read as cp866, the letters are nonsense
    path = tmp_path / "abon.dbf"
    _dbf_file(path, "cp1251", [("KRM", "100001", "Петренко", "50 лет Октября", "12", "5")])
    data = bytearray(path.read_bytes())
    data[29] = 0x65  # language driver: cp866
    path.write_bytes(bytes(data))
    run = run_sync(regie_runtime, place, "billpay.subscribers", path)
    assert (run.state, run.imported, run.rejected) == ("rejected", 0, 1)
    assert _count(session, Subscriber) == 0

    fixed = run_sync(regie_runtime, place, "billpay.subscribers", path,
                     options={"encoding": "cp1251"})
    assert (fixed.state, fixed.imported) == ("succeeded", 1)
    session.rollback()  # a fresh read after the run's commit
    assert session.scalars(select(Subscriber)).one().surname == "Петренко"


def test_a_file_of_no_known_kind_fails_with_the_columns_it_needs(regie_runtime, place, write):
    [run] = _load(regie_runtime, place, write, ("x.csv", "foo;bar\n1;2\n"))
    assert run.state == "failed" and "foo" in run.message


def test_cli_import_runs_the_sync_and_exits_1_on_rejects(regie_runtime, place, write):
    state = State(runtime=regie_runtime)
    ok = CliRunner().invoke(cli, ["billpay", "import", str(write("cities.csv", CITIES)),
                                  "--establishment", "centre"], obj=state)
    assert ok.exit_code == 0, ok.output
    assert "succeeded" in ok.output
    bad = CliRunner().invoke(cli, ["billpay", "import", str(write("subs.csv", SUBSCRIBERS.replace(
        "KRM;100001", "XXX;100001"))), "--establishment", "centre"], obj=state)
    assert bad.exit_code == 1 and "rejected" in bad.output
