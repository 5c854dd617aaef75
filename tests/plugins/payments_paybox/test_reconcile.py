"""Reconciliation with the back-office export (CSV) and with Paybox Direct inquiries, and the
``regie paybox`` commands."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from regie.db.models import AuditEvent
from regie.db.money import LedgerAccount, Payment, PaymentNotification
from regie_paybox import operations, reconcile
from regie_paybox.cli import paybox
from regie_paybox.settings import TEST_HMAC_KEY

from .conftest import SLUG
from .fakes import FakePPPS, serve

HEADER = "Référence commande;Montant;Date;Statut;Numéro de transaction"


def export(*lines: str, encoding: str = "utf-8") -> bytes:
    return "\r\n".join([HEADER, *lines]).encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1", "cp1252"])
def test_read_french_export_in_any_usual_encoding(encoding):
    rows, problems = reconcile.read_export(
        export("97;12,50;03/03/2026 10:12:00;Capturé;30446761",
               "98;1 234,56;03/03/2026;Refusé;30446762",
               ";5,00;;Capturé;1", "99;douze;;Capturé;2", encoding=encoding),
        currency="EUR")
    assert [(row.reference, row.amount, row.state, row.transaction) for row in rows] == [
        ("97", 1250, "succeeded", "30446761"), ("98", 123456, "failed", "30446762")]
    assert rows[0].date == dt.datetime(2026, 3, 3, 10, 12)
    assert problems == ["line 4: no reference", "line 5: no amount in 'douze'"]


def test_column_mapping_and_delimiter():
    data = b"Ref. cde,Total (cents),Etat\nA-1,1250,OK\n"
    with pytest.raises(reconcile.ExportError, match='--mapping reference="<header>"'):
        reconcile.read_export(data, currency="EUR")
    rows, _problems = reconcile.read_export(
        data, currency="EUR", mapping={"reference": "Ref. cde", "amount": "Total (cents)"},
        minor_units=True, delimiter=",")
    assert [(row.reference, row.amount, row.state) for row in rows] == [("A-1", 1250,
                                                                         "succeeded")]
    with pytest.raises(reconcile.ExportError, match="unknown column name"):
        reconcile.read_export(data, currency="EUR", mapping={"montant": "x"})


def test_amounts():
    assert reconcile.parse_amount("1.234,56", "EUR") == 123456
    assert reconcile.parse_amount("1 234,56 €", "EUR") == 123456
    assert reconcile.parse_amount("1,234.56", "EUR") == 123456
    assert reconcile.parse_amount("12", "EUR") == 1200
    assert reconcile.parse_amount("1200", "JPY") == 1200
    with pytest.raises(ValueError, match="more decimals"):
        reconcile.parse_amount("12,505", "EUR")


def test_compare_finds_the_three_lists():
    rows = [reconcile.PayboxRow(2, "A", 1000, "succeeded", transaction="1"),
            reconcile.PayboxRow(3, "B", 500, "failed"),
            reconcile.PayboxRow(4, "B", 500, "succeeded", transaction="2"),
            reconcile.PayboxRow(5, "C", 700, "succeeded"),
            reconcile.PayboxRow(6, "D", 900, "succeeded"),
            reconcile.PayboxRow(7, "Z", 100, "failed")]
    rows.append(reconcile.PayboxRow(8, "G", 400, "succeeded"))
    payments = {"A": reconcile.RegiePayment(1, "A", 1000, "succeeded"),
                "G": reconcile.RegiePayment(6, "G", 400, "refunded"),
                "B": reconcile.RegiePayment(2, "B", 500, "pending"),
                "C": reconcile.RegiePayment(3, "C", 750, "succeeded")}
    period = [*payments.values(), reconcile.RegiePayment(4, "E", 300, "succeeded"),
              reconcile.RegiePayment(5, "F", 300, "cancelled")]
    report = reconcile.compare(rows, payments, period)
    assert [item["reference"] for item in report.at_paybox_only] == ["D"]
    assert [item["reference"] for item in report.in_regie_only] == ["E"]
    assert [(item["reference"], item["differences"]) for item in report.mismatches] == [
        ("B", ["state"]), ("C", ["amount"])]
    assert [item["reference"] for item in reconcile.to_apply(report)] == ["B"]


@pytest.fixture
def runner(regie_runtime):
    def invoke(*args: str):
        return CliRunner().invoke(paybox, list(args), obj=SimpleNamespace(runtime=regie_runtime),
                                  catch_exceptions=False)

    return invoke


def test_reconcile_command_reports_and_applies(runner, paybox_place, new_payment, session,
                                               tmp_path):
    recorded = new_payment(paybox_place, 1250, reference="97")
    missed = new_payment(paybox_place, 800, reference="98", owner="pupil-2")
    new_payment(paybox_place, 300, reference="99", owner="pupil-3")
    file = tmp_path / "export.csv"
    file.write_bytes(export("97;12,50;03/03/2026;Capturé;1001", "98;8,00;03/03/2026;Capturé;1002",
                            "100;5,00;03/03/2026;Capturé;1003", encoding="latin-1"))
    result = runner("reconcile", str(file), "--establishment", SLUG, "--format", "json")
    assert result.exit_code == 3, result.output
    report = json.loads(result.output)
    assert [item["reference"] for item in report["at_paybox_only"]] == ["100"]
    assert [item["reference"] for item in report["mismatches"]] == ["97", "98"]
    assert report["applied"] == []

    result = runner("reconcile", str(file), "--establishment", SLUG, "--apply")
    assert result.exit_code == 0, result.output
    assert "Recorded now: 2" in result.output
    assert "reference=100  amount=5,00\xa0€" in result.output
    session.rollback()
    assert session.get(Payment, recorded.id).state == "succeeded"
    assert session.get(Payment, missed.id).state == "succeeded"
    assert session.get(LedgerAccount, missed.account_id).balance == 800
    sources = session.scalars(select(PaymentNotification.source)).all()
    assert sources == ["reconciliation", "reconciliation"]

    again = runner("reconcile", str(file), "--establishment", SLUG, "--apply")
    assert "Recorded now: 0" in again.output
    session.rollback()
    assert session.get(LedgerAccount, missed.account_id).balance == 800
    reports = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "payments_paybox.reconciliation")).all()
    assert len(reports) == 3


def test_reconcile_command_explains_a_bad_file(runner, paybox_place, tmp_path):
    file = tmp_path / "export.csv"
    file.write_text("Quoi;Combien\nx;1\n")
    result = runner("reconcile", str(file), "--establishment", SLUG)
    assert result.exit_code == 1
    assert "has no column for reference, amount" in result.output
    assert "Quoi; Combien" in result.output


def test_weekly_task_recovers_payments_paybox_took(regie_runtime, make_establishment,
                                                   new_payment, session):
    fake = FakePPPS(TEST_HMAC_KEY)
    with serve(fake) as url:
        place = make_establishment(SLUG, plugins={"payments_paybox": {
            "ppps_urls": url + "/PPPS.php"}})
        taken = new_payment(place, 1250, reference="R1")
        abandoned = new_payment(place, 500, reference="R2", owner="pupil-2")
        fake.add("700", "R1", 1250)
        soon = operations.reconcile_pending(
            regie_runtime, place, now=taken.created_at + dt.timedelta(minutes=30))
        assert (soon.applied, soon.in_regie_only, fake.questions) == ([], [], []), (
            "a payment begun less than an hour ago may still be on Paybox's page")
        report = operations.reconcile_pending(
            regie_runtime, place, now=taken.created_at + dt.timedelta(hours=2))
    assert [(item["reference"], item["status"]) for item in report.applied] == [
        ("R1", "applied")]
    assert [item["reference"] for item in report.in_regie_only] == ["R2"]
    session.rollback()
    assert session.get(Payment, taken.id).state == "succeeded"
    assert session.get(LedgerAccount, taken.account_id).balance == 1250
    assert session.get(Payment, abandoned.id).state == "pending"
    [row] = session.scalars(select(PaymentNotification)).all()
    assert (row.source, row.merchant) == ("inquiry", "1999888/32")


def test_task_is_registered(regie_engine):
    tasks = {task.name: task for task in regie_engine.items("regie_scheduled_tasks")}
    task = tasks["payments_paybox.reconcile"]
    assert task.per_establishment and task.schedule == "30 6 * * 1"
    commands = {command.name for command in regie_engine.items("regie_cli_commands")}
    assert "paybox" in commands


def test_simulate_ipn_command(runner, regie_runtime, paybox_place, new_payment, session):
    from regie.web import create_app

    payment = new_payment(paybox_place, 1250, reference="R-9")
    with serve(create_app(runtime=regie_runtime)) as base:
        url = f"{base}/callbacks/{SLUG}/payments_paybox/ipn"
        result = runner("simulate-ipn", "--establishment", SLUG, "--reference", "R-9",
                        "--repeat", "3", "--url", url)
        assert result.exit_code == 0, result.output
        assert result.output.splitlines() == ["1: HTTP 200", "2: HTTP 200", "3: HTTP 200"]
    session.rollback()
    assert session.get(Payment, payment.id).state == "succeeded"
    assert session.get(LedgerAccount, payment.account_id).balance == 1250
    statuses = session.scalars(select(PaymentNotification.status)).all()
    assert statuses == ["applied"], "the same notification three times counts once"


def test_simulate_ipn_refuses_production(runner, make_establishment, new_payment):
    place = make_establishment(SLUG, plugins={"payments_paybox": {
        "environment": "production", "site": "1234567", "rang": "01",
        "identifiant": "123456789", "hmac_key": "AB" * 64}})
    new_payment(place, 100, reference="P-1")
    from regie.api import Veto

    with pytest.raises(Veto, match="production mode"):
        runner("simulate-ipn", "--establishment", SLUG, "--reference", "P-1")


def test_silence_of_paybox_direct_is_a_problem_not_a_missing_payment(regie_runtime,
                                                                      make_establishment,
                                                                      new_payment, session):
    with serve(lambda environ, start: []) as dead:
        pass  # nothing listens there any more
    place = make_establishment(SLUG, plugins={"payments_paybox": {
        "ppps_urls": dead + "/PPPS.php"}})
    payment = new_payment(place, 1250, reference="R1")
    report = operations.reconcile_pending(regie_runtime, place,
                                          now=payment.created_at + dt.timedelta(hours=2))
    assert report.in_regie_only == [] and report.applied == []
    [problem] = report.problems
    assert problem.startswith("R1: Paybox Direct: PPPS-UNREACHABLE")


def test_period_is_in_the_establishments_days(runner, paybox_place, new_payment,
                                              regie_runtime, tmp_path):
    """Paris, 3 March 2026: from 2 March 23:00 to 3 March 23:00 UTC. A payment Régie recorded
    at 00:30 on 3 March (Paris) belongs to that day; one at 23:30 on 2 March does not."""
    inside = new_payment(paybox_place, 500, reference="IN")
    before = new_payment(paybox_place, 600, reference="BEFORE", owner="pupil-2")
    with regie_runtime.db.transaction() as session:  # as if recorded paid on those dates
        for payment, hour in ((inside, 23), (before, 22)):
            row = session.get(Payment, payment.id)
            row.created_at = dt.datetime(2026, 3, 2, hour, 30, tzinfo=dt.UTC)
            row.state = "succeeded"
    file = tmp_path / "export.csv"
    file.write_bytes(export("LATE;1,00;03/03/2026 23:59:00;Capturé;9",
                            "EARLY;1,00;02/03/2026 23:59:00;Capturé;8"))
    result = runner("reconcile", str(file), "--establishment", SLUG, "--from", "2026-03-03",
                    "--to", "2026-03-03", "--format", "json")
    report = json.loads(result.output)
    assert [item["reference"] for item in report["at_paybox_only"]] == ["LATE"]
    assert [item["reference"] for item in report["in_regie_only"]] == ["IN"]
