"""Sync sources: ``regie_sync_sources`` declares them, the core runs them on a file and records
every run with its counts and reject file, from the CLI, from code and from the pickup folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from data import payers_source
from sqlalchemy import func, select

from regie.api import last_syncs, record_sync, run_sync
from regie.cli.common import State
from regie.cli.main import cli
from regie.db.money import LedgerAccount
from regie.services import documents
from regie.tasks import runner


@pytest.fixture(scope="module")
def regie_engine():
    return payers_source.engine()


@pytest.fixture
def school(make_establishment):
    return make_establishment("ecole")


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def payers(regie_runtime, establishment) -> dict[str, str]:
    with regie_runtime.db.session() as session:
        return {account.owner_key: account.label for account in session.scalars(
            select(LedgerAccount).where(LedgerAccount.establishment_id == establishment.id,
                                        LedgerAccount.kind == payers_source.KIND))}


def test_a_file_is_imported_once_and_a_second_run_changes_nothing(regie_runtime, school, tmp_path):
    path = write(tmp_path, "payers.csv", "1;Dupont\n2;Martin\n")

    first = run_sync(regie_runtime, school, "test_payers", path)
    again = run_sync(regie_runtime, school, "test_payers", path)

    assert (first.state, first.imported, first.unchanged) == ("succeeded", 2, 0)
    assert (again.state, again.imported, again.unchanged) == ("succeeded", 0, 2)
    assert again.message == "0 imported, 2 unchanged, 0 refused."
    assert payers(regie_runtime, school) == {"1": "Dupont", "2": "Martin"}


def test_bad_lines_give_a_reject_file_and_import_nothing(regie_runtime, school, tmp_path):
    path = write(tmp_path, "payers.csv", "1;Dupont\nX2;Martin\n3;Durand\n4b;Petit\n")

    run = run_sync(regie_runtime, school, "test_payers", path)

    assert (run.state, run.imported, run.rejected) == ("rejected", 0, 2)
    assert payers(regie_runtime, school) == {}
    with regie_runtime.db.session() as session:
        rejects = documents.fetch(session, school, run.reject_document_id)
        assert rejects.filename == "payers-rejects.csv"
        text = rejects.content.decode("utf-8-sig")
    assert "2;the number 'X2' is not a number;X2;Martin" in text.replace('"', "")
    assert "4;the number '4b' is not a number" in text


@pytest.mark.parametrize(("name", "content", "message"), [
    ("payers.csv", "1 Dupont\n", "No column separator found"),
    ("payers.pdf", "1;Dupont\n", "Payers reads .csv .txt files, not payers.pdf"),
])
def test_a_file_that_cannot_be_read_fails_with_the_reason(regie_runtime, school, tmp_path, name,
                                                         content, message):
    run = run_sync(regie_runtime, school, "test_payers", write(tmp_path, name, content))

    assert run.state == "failed"
    assert message in run.message


def test_a_crash_in_the_middle_leaves_nothing_and_the_file_runs_again(regie_runtime, school,
                                                                       tmp_path):
    path = write(tmp_path, "payers.csv", "1;Dupont\n2;CRASH\n")

    crashed = run_sync(regie_runtime, school, "test_payers", path)
    assert crashed.state == "failed"
    assert "RuntimeError: the disk is full" in crashed.message
    assert payers(regie_runtime, school) == {}

    path.write_text("1;Dupont\n2;Martin\n", encoding="utf-8")
    assert run_sync(regie_runtime, school, "test_payers", path).state == "succeeded"
    assert payers(regie_runtime, school) == {"1": "Dupont", "2": "Martin"}


def test_the_cli_runs_a_source_lists_runs_and_prints_the_rejects(regie_runtime, school,
                                                                 tmp_path):
    good = write(tmp_path, "good.csv", "1;Dupont\n")
    bad = write(tmp_path, "bad.csv", "1;Dupont\nX;Martin\n")

    def sync(*args):
        return CliRunner().invoke(cli, ["sync", *args], obj=State(runtime=regie_runtime))

    listed = sync("sources", "--format", "json")
    ran = sync("run", "test_payers", str(good), "-e", "ecole")
    refused = sync("run", "test_payers", str(bad), "-e", "ecole")
    history = sync("list", "-e", "ecole", "--format", "json")

    assert '"code": "test_payers"' in listed.output
    assert ran.exit_code == 0, ran.output
    assert "good.csv: succeeded. 1 imported, 0 unchanged, 0 refused." in ran.output
    assert refused.exit_code == 1
    run_id = int(refused.output.split("regie sync rejects ")[1].split()[0])
    rejects = sync("rejects", str(run_id), "-e", "ecole")
    assert "the number 'X' is not a number" in rejects.output
    assert history.output.index('"bad.csv"') < history.output.index('"good.csv"')
    unknown = sync("run", "nope", str(good), "-e", "ecole")
    assert unknown.exit_code == 1
    assert "No sync source 'nope' in ecole; available: test_payers." in unknown.output


def test_the_pickup_folder_imports_files_and_files_them_away(regie_runtime, school):
    folder = regie_runtime.config.instance / "sync" / "ecole" / "test_payers"
    write(folder, "a.csv", "1;Dupont\n")
    write(folder, "b.txt", "Z;Martin\n")
    write(folder, "notes.md", "not for the importer")

    outcomes = runner.run_now(regie_runtime, "core.sync_pickup", "ecole")

    assert [outcome.status for outcome in outcomes] == ["succeeded"]
    assert payers(regie_runtime, school) == {"1": "Dupont"}
    assert sorted(path.name for path in folder.iterdir()) == ["done", "failed", "notes.md"]
    [done] = (folder / "done").iterdir()
    assert done.name.endswith("-a.csv")
    failed = sorted(path.name for path in (folder / "failed").iterdir())
    assert failed[0].endswith("-b.rejects.csv") and failed[1].endswith("-b.txt")
    assert runner.run_now(regie_runtime, "core.sync_pickup", "ecole")[0].status == "succeeded"
    with regie_runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(LedgerAccount)) == 1


def test_streams_record_their_exchanges_and_the_last_success_is_known(regie_runtime, school,
                                                                      make_establishment):
    other = make_establishment("autre")
    with regie_runtime.db.transaction() as session:
        record_sync(session, school, "canteen.payments", imported=3)
        record_sync(session, school, "canteen.payments", state="failed", message="timeout")
        record_sync(session, school, "canteen.passages", state="partial", imported=5,
                    rejected=1)
        record_sync(session, other, "canteen.payments", imported=1)

    with regie_runtime.db.session() as session:
        status = last_syncs(session, school)

    assert list(status) == ["canteen.passages", "canteen.payments"]
    payments = status["canteen.payments"]
    assert (payments.last.state, payments.last.message) == ("failed", "timeout")
    assert payments.last_success_at is not None
    assert payments.last_success_at < payments.last.finished_at
    assert status["canteen.passages"].last_success_at == status["canteen.passages"].last.finished_at
