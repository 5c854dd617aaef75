"""The agent with a back office that exchanges CSV files in a folder."""

from __future__ import annotations

import csv
import datetime as dt
import logging

from sqlalchemy import select

from regie.api import account_by_id, record_payment
from regie_reservation import individuals
from regie_reservation.agent import config as agent_config
from regie_reservation.agent.cli import open_streams
from regie_reservation.models import Individual, Passage

from .conftest import SLUG

TODAY = dt.date.today()


def write_config(folder, server, token):
    (folder / "exchange").mkdir()
    path = folder / "agent.toml"
    path.write_text(f"""
[server]
url = "{server}"
establishment = "{SLUG}"
token = "{token}"
retry_for = 2

[backoffice]
kind = "csv"
folder = "exchange"
money = "units"

[backoffice.individuals]
file = "ELEVES.csv"
columns = {{ external_id = "ID", last_name = "NOM", first_name = "PRENOM", login = "LOGIN", password = "PASSE", regime = "REGIME", balance = "SOLDE" }}

[backoffice.passages]
file = "PASSAGES.csv"
columns = {{ external_id = "ID", individual = "ELEVE", day = "DATE", price = "PRIX" }}

[backoffice.payments]
file = "payments"
columns = {{ reference = "REFERENCE", individual = "ELEVE", amount = "MONTANT", day = "DATE", mode = "MODE", receipt = "RECU" }}
""", encoding="utf-8")  # noqa: E501
    return path


def run(path, name):
    with open_streams(agent_config.load(path)) as opened:
        return getattr(opened, name)()


def test_a_csv_back_office_is_pushed_and_receives_payment_files_without_duplicates(
        tmp_path, live_server, sync_token, session, school, regie_runtime, transaction,
        caplog):
    path = write_config(tmp_path, live_server, sync_token)
    exchange = tmp_path / "exchange"
    recent = (TODAY - dt.timedelta(days=1)).strftime("%d/%m/%Y")
    (exchange / "ELEVES.csv").write_bytes(
        "ID;NOM;PRENOM;LOGIN;PASSE;REGIME;SOLDE\r\n"
        "1001;Durand;Zoé;zoe.durand;mako-27-tiru;demi-pension;15,70\r\n"
        "1002;Bernard;Hélène;;;demi-pension;0\r\n"
        "1003;Faux;Solde;faux.solde;x;demi-pension;12,345\r\n".encode("cp1252"))
    (exchange / "PASSAGES.csv").write_text(
        f"ID;ELEVE;DATE;PRIX\r\nP1;1001;{recent};3,30\r\nP2;1001;pas une date;3,30\r\n",
        encoding="utf-8")

    caplog.set_level(logging.INFO, logger="regie.canteen.agent")
    pushed = run(path, "individuals")

    assert pushed.counts["created"] == 1
    assert pushed.counts["back-office rows skipped"] == 2
    assert "ELEVES.csv line 4 skipped" in caplog.text and "fractions of a cent" in caplog.text
    assert "PASSAGES.csv line 3 skipped" in caplog.text
    assert session.scalars(select(Individual.last_name)).all() == ["Durand"]
    assert session.scalars(select(Passage.external_id)).all() == ["P1"]
    person = individuals.by_external_id(session, school, "1001")
    assert person.first_name == "Zoé"
    assert account_by_id(session, school, person.account_id).balance == 1570

    with transaction() as (writing, place):
        account = account_by_id(writing, place, person.account_id)
        record_payment(writing, regie_runtime, place, account=account, method="cash",
                       amount=2050, reference="97")
    assert dict(run(path, "payments").counts) == {"recorded": 1}
    [written] = sorted((exchange / "payments").glob("*.csv"))
    with written.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert [(r["REFERENCE"], r["ELEVE"], r["MONTANT"], r["MODE"]) for r in rows] == [
        ("97", "1001", "20.50", "CB_Internet")]

    with open_streams(agent_config.load(path)) as opened:
        opened.state.put("payments.after", "0")  # as if the cursor were lost
        again = opened.payments()
    assert dict(again.counts) == {"already there": 1}
    assert (f"- Un encaissement (num : {written.name}:2) ayant cette référence (97) existe "
            "déjà") in caplog.text
    assert len(list((exchange / "payments").glob("*.csv"))) == 1
