"""``regie accounts``, ``regie payments`` and ``regie ledger verify`` against the test database."""

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from regie.cli.common import State
from regie.cli.main import cli
from regie.testing.payments import engine_with_fake_method

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.fixture(scope="module")
def regie_engine():
    return engine_with_fake_method()


@pytest.fixture
def regie(regie_runtime):
    def invoke(*args):
        return CliRunner().invoke(cli, [str(arg) for arg in args],
                                  obj=State(runtime=regie_runtime))

    return invoke


@pytest.fixture
def school(make_establishment):
    return make_establishment(slug="ecole", name="École")


def ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def error(result) -> str:
    assert result.exit_code != 0 and "Traceback" not in result.output
    return result.stderr.strip()


def test_open_accounts_record_payments_and_read_the_statement(regie, school):
    assert ok(regie("accounts", "create", "-e", "ecole", "--kind", "reservation.pupil",
                    "--owner", "1234", "--label", "Alice Martin")).startswith("Account 1:")
    ok(regie("accounts", "create", "-e", "ecole", "--kind", "reservation.pupil",
             "--owner", "1234"))
    assert "Payment 1 recorded (reference 97, receipt 1)" in ok(regie(
        "payments", "record", "-e", "ecole", "--account", "reservation.pupil:1234",
        "--method", "cheque", "--amount", "12,50", "--reference", "97",
        "--field", "number=1234567", "--field", "bank=La Poste"))
    ok(regie("payments", "record", "-e", "ecole", "--account", "1", "--method", "cash",
             "--amount", "1 000,00 €"))
    listed = json.loads(ok(regie("accounts", "list", "-e", "ecole", "--format", "json")))
    assert listed == [{"id": 1, "kind": "reservation.pupil", "owner": "1234",
                       "label": "Alice Martin", "currency": "EUR", "balance": 101250}]
    statement = ok(regie("accounts", "statement", "1", "-e", "ecole"))
    assert f"Balance: 1{NNBSP}012,50{NBSP}€" in statement
    assert f"12,50{NBSP}€" in statement
    entries = json.loads(ok(regie("accounts", "statement", "reservation.pupil:1234", "-e",
                                  "ecole", "--format", "json")))["entries"]
    assert [(e["amount"], e["balance"]) for e in entries] == [(1250, 1250), (100000, 101250)]


def test_bad_input_gets_one_clear_line_and_records_nothing(regie, school):
    ok(regie("accounts", "create", "-e", "ecole", "--kind", "coop.member", "--owner", "7"))

    def record(*extra):
        return regie("payments", "record", "-e", "ecole", "--account", "coop.member:7", *extra)

    assert "not an amount" in error(record("--method", "cash", "--amount", "12abc"))
    assert "at most 2 decimals" in error(record("--method", "cash", "--amount", "1,234"))
    assert "bank: is required" in error(record("--method", "cheque", "--amount", "5",
                                               "--field", "number=1"))
    assert "not offered here" in error(record("--method", "bitcoin", "--amount", "5"))
    assert "no account 'coop.member:8'" in error(regie(
        "payments", "record", "-e", "ecole", "--account", "coop.member:8", "--method", "cash",
        "--amount", "5"))
    ok(record("--method", "cash", "--amount", "5", "--reference", "R1"))
    assert "A payment (no. 1) with this reference (R1) already exists" in error(
        record("--method", "cash", "--amount", "5", "--reference", "R1"))
    assert json.loads(ok(regie("payments", "list", "-e", "ecole", "--format", "json")))[0][
        "amount"] == 500


def test_list_filters_show_cancel_and_refund(regie, school):
    ok(regie("accounts", "create", "-e", "ecole", "--kind", "k", "--owner", "1"))
    for reference, method in (("A-1", "cash"), ("B-2", "cash")):
        ok(regie("payments", "record", "-e", "ecole", "--account", "1", "--method", method,
                 "--amount", "10", "--reference", reference))
    rows = json.loads(ok(regie("payments", "list", "-e", "ecole", "--reference", "B",
                               "--format", "json")))
    assert [row["reference"] for row in rows] == ["B-2"]
    assert ok(regie("payments", "list", "-e", "ecole", "--from", "2000-01-01", "--to",
                    "2000-12-31")).strip() == "(none)"
    assert "Payment 1 cancelled." in ok(regie("payments", "cancel", "1", "-e", "ecole",
                                              "--reason", "typo"))
    assert "Refund of 4,00" in ok(regie("payments", "refund", "2", "-e", "ecole", "--amount",
                                        "4", "--reason", "absent"))
    assert "at most 6,00" in error(regie("payments", "refund", "2", "-e", "ecole",
                                         "--amount", "7", "--reason", "x"))
    shown = json.loads(ok(regie("payments", "show", "2", "-e", "ecole", "--format", "json")))
    assert (shown["state"], shown["refunded"]) == ("refunded", 400)
    assert any("payment.refunded" in line for line in shown["audit"].values())
    text_view = ok(regie("payments", "show", "1", "-e", "ecole"))
    assert "cancelled" in text_view and "void" in text_view
    assert "no payment 9" in error(regie("payments", "show", "9", "-e", "ecole"))


def test_request_prints_a_payable_link(regie, school, regie_runtime):
    ok(regie("accounts", "create", "-e", "ecole", "--kind", "k", "--owner", "1"))
    link = ok(regie("payments", "request", "-e", "ecole", "--account", "1", "--amount", "30",
                    "--description", "Cantine novembre")).strip()
    base = regie_runtime.config["base_url"].rstrip("/")
    assert link.startswith(f"{base}/ecole/pay/") and len(link.rsplit("/", 1)[1]) >= 40
    assert "description" in error(regie("payments", "request", "-e", "ecole", "--account", "1",
                                        "--amount", "30", "--description", " "))


def test_ledger_verify_exits_non_zero_naming_the_first_broken_entry(regie, school,
                                                                    make_establishment,
                                                                    regie_runtime):
    make_establishment(slug="autre")
    ok(regie("accounts", "create", "-e", "ecole", "--kind", "k", "--owner", "1"))
    for amount in ("1", "2", "3"):
        ok(regie("payments", "record", "-e", "ecole", "--account", "1", "--method", "cash",
                 "--amount", amount))
    assert "ecole: ledger intact (3 entries, 1 accounts)" in ok(regie("ledger", "verify"))
    with regie_runtime.db.engine.begin() as connection:
        connection.execute(text("UPDATE ledger_entry SET amount = 99 WHERE sequence = 2"))
    broken = regie("ledger", "verify")
    assert broken.exit_code == 1
    assert "ecole: ledger BROKEN at entry 2" in broken.stderr
    assert "autre: ledger intact" in broken.output
    assert ok(regie("ledger", "verify", "-e", "autre"))
    assert regie("ledger", "verify", "-e", "ecole").exit_code == 1
