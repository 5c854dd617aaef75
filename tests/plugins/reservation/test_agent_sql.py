"""The agent against a real back-office database (an SQLite file, then a PostgreSQL schema)
through a mapping, talking to a real Régie server over HTTP."""

from __future__ import annotations

import datetime as dt
import decimal
import logging
from zoneinfo import ZoneInfo

from click.testing import CliRunner
from sqlalchemy import func, select

from regie.api import account_by_id, record_payment, utcnow
from regie_reservation import individuals
from regie_reservation.agent import config as agent_config
from regie_reservation.agent.cli import canteen, open_streams
from regie_reservation.models import Individual, Passage, Reservation

TODAY = dt.date.today()
RECENT = TODAY - dt.timedelta(days=2)
OLD = TODAY - dt.timedelta(days=60)
EURO = decimal.Decimal


def fill(office) -> None:
    office.insert(
        office.eleves,
        {"id": 1001, "nom": "Durand", "prenom": "Zoé", "classe": "5B", "regime": "demi-pension",
         "login": "zoe.durand", "passe": "mako-27-tiru", "nom_resp": "Mme Durand",
         "mail_resp": "durand@example.org", "solde": EURO("15.70")},
        {"id": 1002, "nom": "Petit", "prenom": "Léo", "classe": "6A", "regime": "tempo",
         "login": "leo.petit", "passe": "bapu-38-kemo", "nom_resp": "", "mail_resp": "",
         "solde": EURO("4.00")},
        {"id": 1003, "nom": "Sans", "prenom": "Login", "classe": "6A", "regime": "demi-pension",
         "login": None, "passe": None, "nom_resp": "", "mail_resp": "", "solde": EURO("0")})
    office.insert(
        office.passages,
        {"id": 1, "id_eleve": 1001, "date_passage": RECENT, "repas": "midi", "prix": EURO("3.30")},
        {"id": 2, "id_eleve": 1001, "date_passage": OLD, "repas": "midi", "prix": EURO("3.30")},
        {"id": 3, "id_eleve": 1002, "date_passage": RECENT, "repas": "midi", "prix": EURO("3.30")},
        {"id": 4, "id_eleve": 1003, "date_passage": RECENT, "repas": "midi", "prix": EURO("3.30")})


def run(config_path, *streams):
    config = agent_config.load(config_path)
    with open_streams(config) as opened:
        return [getattr(opened, name)() for name in streams]


def balance(session, school, external_id):
    person = individuals.by_external_id(session, school, external_id)
    return account_by_id(session, school, person.account_id).balance


def test_individuals_with_a_login_are_pushed_with_recent_passages_and_balances(
        backoffice, live_server, sync_token, tmp_path, session, school):
    fill(backoffice)
    path = backoffice.config(tmp_path, live_server, sync_token)

    [outcome] = run(path, "individuals")

    assert outcome.counts["created"] == 2
    assert sorted(session.scalars(select(Individual.external_id))) == ["1001", "1002"]
    assert sorted(session.scalars(select(Passage.external_id))) == ["1", "3"]
    assert balance(session, school, "1001") == 1570
    assert balance(session, school, "1002") == 400
    person = individuals.by_external_id(session, school, "1001")
    assert person.login == "zoe.durand" and person.initial_password == "mako-27-tiru"
    assert person.balance_as_of is not None

    [again] = run(path, "individuals")
    assert dict(again.counts) == {}
    assert "nothing to do" in again.line()


def test_web_payments_reach_the_back_office_once_and_known_references_are_reported(
        backoffice, live_server, sync_token, tmp_path, session, school, regie_runtime,
        transaction, caplog):
    fill(backoffice)
    path = backoffice.config(tmp_path, live_server, sync_token)
    run(path, "individuals")
    with transaction() as (writing, place):
        person = individuals.by_external_id(writing, place, "1001")
        account = account_by_id(writing, place, person.account_id)
        for reference, amount in (("97", 2000), ("98", 1000)):
            record_payment(writing, regie_runtime, place, account=account, method="cash",
                           amount=amount, reference=reference)
    backoffice.insert(backoffice.encaissements, {
        "num": 49151, "reference": "98", "id_eleve": 1001, "montant": EURO("10.00"),
        "date_enc": TODAY, "mode": "CB_Internet", "recu": None})

    with caplog.at_level(logging.INFO, logger="regie.canteen.agent"):
        [outcome] = run(path, "payments")

    assert dict(outcome.counts) == {"recorded": 1, "already there": 1}
    assert ("- Un encaissement (num : 49151) ayant cette référence (98) existe déjà"
            in caplog.text)
    rows = backoffice.rows(backoffice.encaissements, order_by="reference")
    assert [(r["reference"], r["montant"], r["mode"], r["id_eleve"]) for r in rows] == [
        ("97", EURO("20.00"), "CB_Internet", 1001), ("98", EURO("10.00"), "CB_Internet", 1001)]
    assert rows[0]["recu"] is not None
    assert rows[0]["date_enc"] == dt.datetime.now(ZoneInfo(school.timezone)).date()

    [again] = run(path, "payments")
    assert dict(again.counts) == {}
    assert len(backoffice.rows(backoffice.encaissements)) == 2


def test_reservations_are_written_by_their_web_id_and_cancellations_follow(
        backoffice, live_server, sync_token, tmp_path, session, school, transaction):
    fill(backoffice)
    path = backoffice.config(tmp_path, live_server, sync_token)
    run(path, "individuals")
    meal_day = TODAY + dt.timedelta(days=3)
    with transaction() as (writing, place):
        person = individuals.by_external_id(writing, place, "1001")
        booked = Reservation(establishment_id=place.id, individual_id=person.id, day=meal_day,
                             meal="lunch")
        writing.add(booked)
        writing.flush()
        booked_id = booked.id

    [outcome] = run(path, "reservations")

    assert outcome.counts["recorded"] == 1
    [row] = backoffice.rows(backoffice.reservations)
    assert row == {"id_web": booked_id, "id_eleve": 1001, "jour": meal_day, "repas": "lunch",
                   "annulee": False}
    with transaction() as (writing, _place):
        writing.get(Reservation, booked_id).cancelled_at = utcnow()
    run(path, "reservations")
    assert backoffice.rows(backoffice.reservations)[0]["annulee"] is True


def test_a_sign_in_on_the_web_refreshes_the_individual_and_the_full_push_skips_tempo(
        backoffice, live_server, sync_token, tmp_path, session, school, transaction):
    fill(backoffice)
    path = backoffice.config(tmp_path, live_server, sync_token)
    run(path, "individuals", "refresh")
    with backoffice.engine.begin() as connection:
        connection.execute(backoffice.eleves.update().where(backoffice.eleves.c.id == 1001)
                           .values(solde=EURO("12.40")))
        connection.execute(backoffice.eleves.update().where(backoffice.eleves.c.id == 1002)
                           .values(solde=EURO("1.00")))
    with transaction() as (writing, place):
        individuals.by_external_id(writing, place, "1001").last_login_at = utcnow()

    [refreshed] = run(path, "refresh")

    assert refreshed.counts["updated"] == 1
    assert balance(session, school, "1001") == 1240
    assert balance(session, school, "1002") == 400

    [full] = run(path, "full")
    assert full.counts["unchanged"] == 1 and full.counts["updated"] == 0
    assert balance(session, school, "1002") == 400


def test_the_command_runs_every_stream_once_and_says_what_it_did(
        backoffice, live_server, sync_token, tmp_path, session):
    fill(backoffice)
    path = backoffice.config(tmp_path, live_server, sync_token)

    result = CliRunner().invoke(canteen, ["agent", "--config", str(path), "--once",
                                          "--log-file", str(tmp_path / "agent.log")])

    assert result.exit_code == 0, result.output
    log = (tmp_path / "agent.log").read_text(encoding="utf-8")
    assert "individuals: 2 created" in log
    assert "payments: nothing to do" in log
    assert session.scalar(select(func.count()).select_from(Individual)) == 2


def test_an_unreachable_back_office_fails_the_run_clearly_and_the_next_run_catches_up(
        backoffice, live_server, sync_token, tmp_path, session, caplog):
    path = backoffice.config(tmp_path, live_server, sync_token)
    broken = path.read_text(encoding="utf-8").replace('table = "eleves"',
                                                      'table = "eleves_absente"')
    path.write_text(broken, encoding="utf-8")

    result = CliRunner().invoke(canteen, ["agent", "--config", str(path), "--once"])

    assert result.exit_code == 1
    assert "table eleves_absente not found in the back office" in caplog.text
    fill(backoffice)
    path.write_text(broken.replace("eleves_absente", "eleves"), encoding="utf-8")
    assert CliRunner().invoke(canteen, ["agent", "--config", str(path), "--once"]
                              ).exit_code == 0
    assert session.scalar(select(func.count()).select_from(Individual)) == 2


def test_a_bad_configuration_lists_every_problem(tmp_path):
    path = tmp_path / "agent.toml"
    path.write_text('[server]\nurl = "http://regie.example.org"\n[backoffice]\nkind = "sql"\n'
                    '[backoffice.individuals]\ntable = "eleves"\ncolumns = { nom = "nom" }\n',
                    encoding="utf-8")

    result = CliRunner().invoke(canteen, ["agent", "--config", str(path), "--once"])

    assert result.exit_code == 2
    for problem in ("server.url: must start with https://", "server.establishment: is required",
                    "server.token: is required", "backoffice.url: is required",
                    "backoffice.individuals.columns"):
        assert problem in result.output


def test_send_this_pupil_pushes_ninety_days_of_passages(backoffice, live_server, sync_token,
                                                          tmp_path, session):
    fill(backoffice)
    path = backoffice.config(tmp_path, live_server, sync_token)

    result = CliRunner().invoke(canteen, ["agent", "--config", str(path), "--send", "1001",
                                          "--send", "4242"])

    assert result.exit_code == 0, result.output
    assert sorted(session.scalars(select(Passage.external_id))) == ["1", "2"]
    assert session.scalars(select(Individual.external_id)).all() == ["1001"]


def test_a_window_read_a_row_at_a_time_pushes_every_meal_once(
        backoffice, live_server, sync_token, tmp_path, session, school, monkeypatch):
    from regie_reservation.agent import sql_backend

    monkeypatch.setattr(sql_backend, "_STREAMED", 1)
    fill(backoffice)
    backoffice.insert(
        backoffice.passages,
        {"id": 5, "id_eleve": 1001, "date_passage": RECENT, "repas": "soir", "prix": EURO("2.00")},
        {"id": 6, "id_eleve": 1002, "date_passage": RECENT, "repas": "soir", "prix": EURO("2.00")})
    path = backoffice.config(tmp_path, live_server, sync_token)

    [outcome] = run(path, "individuals")

    assert (outcome.counts["created"], outcome.counts["passages recorded"]) == (2, 4)
    assert sorted(session.scalars(select(Passage.external_id))) == ["1", "3", "5", "6"]
    assert balance(session, school, "1001") == 1570
