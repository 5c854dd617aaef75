"""Back-office CSV exports run as sync sources: imported whole, or not at all with a reject
file naming each bad line."""

from __future__ import annotations

from sqlalchemy import func, select

from regie.api import account_by_id, run_sync
from regie_reservation import individuals
from regie_reservation.models import Individual, Passage


def test_an_export_of_individuals_creates_them_with_logins_and_balances(
        regie_runtime, school, tmp_path, session):
    path = tmp_path / "eleves.csv"
    path.write_text("external_id;last_name;first_name;login;password;regime;balance\n"
                    "1001;Durand;Zoé;zoe.durand;mako-27-tiru;demi-pension;15,70\n"
                    "1002;Petit;Léo;leo.petit;bapu-38-kemo;tempo;-2,50\n", encoding="utf-8")

    run = run_sync(regie_runtime, school, "reservation.individuals", path)

    assert (run.state, run.imported, run.rejected) == ("succeeded", 2, 0)
    person = individuals.by_external_id(session, school, "1002")
    assert person.login == "leo.petit"
    assert account_by_id(session, school, person.account_id).balance == -250
    again = run_sync(regie_runtime, school, "reservation.individuals", path)
    assert (again.imported, again.unchanged) == (0, 2)


def test_an_export_with_bad_lines_imports_nothing_and_says_why(regie_runtime, school, tmp_path,
                                                                session):
    path = tmp_path / "eleves.csv"
    path.write_text("external_id;last_name;login;balance\n"
                    "1001;Durand;zoe.durand;15,70\n"
                    "1002;;leo.petit;0\n"
                    "1003;Faux;faux;12,345\n"
                    "1004;Double;zoe.durand;0\n", encoding="utf-8")

    run = run_sync(regie_runtime, school, "reservation.individuals", path)

    assert (run.state, run.imported, run.rejected) == ("rejected", 0, 3)
    assert session.scalar(select(func.count()).select_from(Individual)) == 0


def test_an_export_of_passages_debits_the_accounts_once_and_refuses_unknown_pupils(
        regie_runtime, school, tmp_path, session, make_individual):
    make_individual(external_id="1001")
    bad = tmp_path / "passages.csv"
    bad.write_text("external_id,individual,day,price\nP1,1001,2026-11-16,\"3,30\"\n"
                   "P2,9999,2026-11-16,\"3,30\"\nP3,1001,hier,\"3,30\"\n", encoding="utf-8")

    refused = run_sync(regie_runtime, school, "reservation.passages", bad)

    assert (refused.state, refused.rejected) == ("rejected", 2)
    assert session.scalar(select(func.count()).select_from(Passage)) == 0
    session.rollback()

    good = tmp_path / "passages-ok.csv"
    good.write_text("external_id;individual;day;meal;price\nP1;1001;16/11/2026;midi;3,30\n"
                    "P4;1001;2026-11-17;midi;3,30\n", encoding="utf-8")
    done = run_sync(regie_runtime, school, "reservation.passages", good)
    assert (done.state, done.imported) == ("succeeded", 2)
    person = individuals.by_external_id(session, school, "1001")
    assert account_by_id(session, school, person.account_id).balance == -660
    assert run_sync(regie_runtime, school, "reservation.passages", good).unchanged == 2
