"""SIRENE alerts: the INSEE files read in streaming, alerts of each kind, partial diffusion, the
"prise en compte", a file of the wrong kind, and a 1 000 000-line stock in bounded memory."""

from __future__ import annotations

import csv
import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import select

from regie.api import Establishment, run_sync
from regie_markets.models import Trader
from regie_markets.office_models import SireneAlert
from regie_markets.sirene import alerts

HEADER = ["siren", "nic", "siret", "statutDiffusionEtablissement", "dateCreationEtablissement",
          "denominationUsuelleEtablissement", "enseigne1Etablissement",
          "activitePrincipaleEtablissement", "numeroVoieEtablissement", "typeVoieEtablissement",
          "libelleVoieEtablissement", "codePostalEtablissement",
          "libelleCommuneEtablissement", "etatAdministratifEtablissement", "dateDebut",
          "dateDernierTraitementEtablissement"]
OPEN = "73282932000074"
CLOSING = "44306184100047"
PRIVATE = "40483304800022"
GONE = "38012986646850"


def row(siret, *, state="A", since="2015-01-01", naf="47.81Z", street="RUE HAUTE",
        diffusion="O"):
    hidden = diffusion == "P"
    return [siret[:9], siret[9:], siret, diffusion, "2015-01-01", "", "", naf,
            "[ND]" if hidden else "1", "[ND]" if hidden else "RUE",
            "[ND]" if hidden else street, "34400", "LUNEL", state, since,
            "2026-10-01T00:00:00"]


def write(path: Path, rows, header=HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def sirets(transaction):
    with transaction() as (session, place):
        for number, siret in enumerate((OPEN, CLOSING, PRIVATE, GONE), start=1):
            session.add(Trader(establishment_id=place.id, number=number, last_name=f"T{number}",
                               first_name="A", legal_name=f"TRADER {number}", address="x",
                               siret=siret, badge_token=f"sirene-{number}"))
    return {OPEN: 1, CLOSING: 2, PRIVATE: 3, GONE: 4}


def run(regie_runtime, town, path, **options):
    return run_sync(regie_runtime, town.id, alerts.SOURCE_CODE, path, options=options)


def open_alerts(session):
    session.rollback()
    return sorted((alert.siret, alert.kind, alert.details) for alert in session.scalars(
        select(SireneAlert).where(SireneAlert.processed.is_(False))))


def test_changes_between_two_stock_files_raise_alerts(regie_runtime, town, sirets, session,
                                                      tmp_path):
    first = write(tmp_path / "StockEtablissement_utf8.csv", [
        row(OPEN), row(CLOSING), row(PRIVATE, diffusion="P"), row("99999999900011")])
    assert run(regie_runtime, town, first).state == "succeeded"
    assert open_alerts(session) == [(GONE, "absent", "not in the stock file "
                                           "StockEtablissement_utf8.csv")]

    second = write(tmp_path / "StockEtablissement_utf8.csv", [
        row(OPEN, naf="56.10C", street="AVENUE BASSE"), row(CLOSING, state="F",
                                                           since="2026-09-30"),
        row(PRIVATE, diffusion="P", naf="47.81Z"), row(GONE)])
    result = run(regie_runtime, town, second)
    assert result.state == "succeeded" and result.imported == 3
    found = open_alerts(session)
    assert (OPEN, "activity", "47.81Z → 56.10C") in found
    assert (OPEN, "address", "1 RUE RUE HAUTE 34400 LUNEL → 1 RUE AVENUE BASSE 34400 LUNEL") \
        in found
    assert (CLOSING, "closed", "closed since 2026-09-30") in found
    assert not [alert for alert in found if alert[0] == PRIVATE], \
        "partial diffusion: no address stored, nothing to compare"
    closed = session.scalars(select(SireneAlert).where(SireneAlert.kind == "closed")).one()
    assert str(closed.event_date) == "2026-09-30"

    again = run(regie_runtime, town, second)
    assert again.imported == 0, "the same file raises nothing new"


def test_daily_update_file_does_not_call_missing_sirets_absent(regie_runtime, town, sirets,
                                                                session, tmp_path):
    update = write(tmp_path / "sirene-update-2026-11-02.csv", [row(CLOSING, state="F",
                                                                    since="2026-11-01")])
    assert run(regie_runtime, town, update).state == "succeeded"
    assert open_alerts(session) == [(CLOSING, "closed", "closed since 2026-11-01")]


def test_legal_unit_file_raises_ceased(regie_runtime, town, sirets, session, tmp_path):
    units = write(tmp_path / "StockUniteLegale_utf8.csv",
                  [["443061841", "C", "2026-08-31", "O", "", "DURAND", "JEAN"]],
                  header=["siren", "etatAdministratifUniteLegale", "dateDebut",
                          "statutDiffusionUniteLegale", "denominationUniteLegale",
                          "nomUniteLegale", "prenom1UniteLegale"])
    assert run(regie_runtime, town, units).state == "succeeded"
    assert open_alerts(session) == [("443061841", "ceased", "ceased since 2026-08-31")]


def test_wrong_file_is_refused_with_a_clear_message(regie_runtime, town, sirets, session,
                                                    tmp_path):
    other = tmp_path / "traders.csv"
    other.write_text("number;name\n1;DUPONT\n", encoding="utf-8")
    result = run(regie_runtime, town, other)
    assert result.state == "failed" and "not a SIRENE file" in result.message
    zipped = tmp_path / "StockEtablissement_utf8.csv"
    zipped.write_bytes(b"PK\x03\x04\x00\x00binary")
    assert "zipped" in run(regie_runtime, town, zipped).message
    assert open_alerts(session) == []


def test_processed_alerts_leave_the_list(regie_runtime, town, sirets, session, tmp_path,
                                         signed_in):
    run(regie_runtime, town, write(tmp_path / "update.csv", [row(CLOSING, state="F")]))
    client = signed_in(roles={town: ["markets.cadre"]})
    page = client.get("/lunel/markets/office/sirene").get_data(as_text=True)
    assert CLOSING in page
    alert_id = session.scalars(select(SireneAlert.id)).one()
    empty = client.submit("/lunel/markets/office/sirene",
                          {"acknowledgement": ""},
                          action=f"/lunel/markets/office/sirene/{alert_id}")
    assert empty.status_code == 422
    done = client.submit("/lunel/markets/office/sirene",
                         {"acknowledgement": "Commerçant radié, badge repris"},
                         action=f"/lunel/markets/office/sirene/{alert_id}")
    assert done.status_code == 302
    assert CLOSING not in client.get("/lunel/markets/office/sirene").get_data(as_text=True)
    assert open_alerts(session) == []


def test_a_million_line_stock_is_read_in_bounded_memory(regie_runtime, town, sirets, session,
                                                        tmp_path):
    path = tmp_path / "StockEtablissement_utf8.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        filler = row("00000000000000")
        for index in range(1_000_000):
            if index == 500_000:
                writer.writerow(row(CLOSING, state="F", since="2026-10-15"))
                continue
            filler[2] = f"{10_000_000_000_000 + index}"
            writer.writerow(filler)
    size = path.stat().st_size
    assert size > 80_000_000

    with regie_runtime.db.session() as reading:
        establishment_id = reading.get(Establishment, town.id).id
    tracemalloc.start()
    outcome = alerts.import_file(regie_runtime.db, establishment_id, path, full=True)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert peak < 5_000_000, f"peak {peak} bytes for a {size}-byte file"
    assert "1000000 lines read" in outcome.message
    kinds = sorted((siret, kind) for siret, kind, _details in open_alerts(session))
    assert kinds == sorted([(OPEN, "absent"), (CLOSING, "closed"), (PRIVATE, "absent"),
                            (GONE, "absent")])
