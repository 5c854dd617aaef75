"""ticket-import: the CSV of metre readings of Markets' degraded mode — 100 000 lines, 1 % bad
(unknown traders, metres out of range), into the readings of 20 import batches.

Régie reads the file through ``read_csv`` (encoding, separator and column checks), judges every
line (batch, trader and name letters, metres, flags, login, duplicates), collects the rejects
with their reasons and inserts the good readings. The baseline parses the same file with
``csv`` and inserts the rows of valid integers with SQLAlchemy Core ``executemany``. Target:
ratio ≥ 0.5.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, insert

from benchmarks.instance import Instance
from benchmarks.workloads import BatchWorkload
from regie.services import establishments
from regie_markets.models import Market, Trader
from regie_markets.office_models import ImportBatch
from regie_markets.ticket_import import batches

LINES = 100_000
TRADERS = 5_000
BATCHES_PER_FILE = LINES // TRADERS
FILES = 5
_meta = MetaData()
BASELINE_TABLE = Table(
    "bench_reading", _meta, Column("id", Integer, primary_key=True),
    Column("batch", Integer), Column("line_number", Integer), Column("trader", Integer),
    Column("metres", Integer), Column("badge_surcharge", Boolean),
    Column("blocking_surcharge", Boolean), Column("demonstrator", Boolean),
    Column("imported_by", String(150)))


def prepare(instance: Instance) -> dict:
    runtime = instance.runtime
    chance = random.Random(5)
    with runtime.db.transaction() as session:
        town = establishments.create(session, runtime.engine, slug="lunel",
                                     name="Mairie de Lunel")
        establishments.enable_plugin(session, runtime.engine, town, "markets")
        market = Market(establishment_id=town.id, name="Les Halles", weekdays="1234567",
                        tariff_standard=150, tariff_demonstrator=300, tariff_surcharge=100)
        session.add(market)
        session.flush()
        session.execute(insert(Trader), [
            {"establishment_id": town.id, "number": number, "last_name": f"NOM{number}",
             "first_name": "A", "legal_name": f"NOM{number}", "address": "1 rue Haute",
             "siret": "73282932000074", "badge_token": f"bench-{number}"}
            for number in range(1, TRADERS + 1)])
        batch_number = 0
        files = []
        for _file in range(FILES):
            lines = []
            for _batch in range(BATCHES_PER_FILE):
                batch_number += 1
                session.add(ImportBatch(establishment_id=town.id, number=batch_number,
                                        day=dt.date(2026, 1, 1),
                                        market_id=market.id, created_by="bench"))
                for number in range(1, TRADERS + 1):
                    trader = number if chance.random() > 0.005 else TRADERS + number
                    metres = chance.choice((2, 4, 6, 8)) if chance.random() > 0.005 else 99
                    badge = "1" if chance.random() < 0.05 else ""
                    lines.append(f"0;{batch_number};{trader}-NOM;{metres};{badge};;;")
            files.append(("\r\n".join(lines) + "\r\n").encode("utf-8"))
        town_id = town.id
    _meta.create_all(runtime.db.engine)
    return {"town": town_id, "files": files, "next": {"regie": 0, "baseline": 0}}


def regie(instance: Instance, prepared: dict) -> None:
    index = prepared["next"]["regie"]
    prepared["next"]["regie"] += 1
    with instance.runtime.db.transaction() as session:
        town = session.get(establishments.Establishment, prepared["town"])
        outcome = batches.import_readings(session, town, prepared["files"][index], user=None)
    bad = len(outcome.rejects)
    assert outcome.imported + bad == LINES and 0.005 * LINES < bad < 0.02 * LINES, (
        outcome.imported, bad)


def baseline(instance: Instance, prepared: dict) -> None:
    index = prepared["next"]["baseline"]
    prepared["next"]["baseline"] += 1
    text = prepared["files"][index].decode("utf-8")
    rows = []
    for cells in csv.reader(io.StringIO(text), delimiter=";"):
        try:
            trader = int(cells[2].partition("-")[0])
            rows.append({"batch": int(cells[1]), "line_number": int(cells[0]),
                         "trader": trader, "metres": int(cells[3]),
                         "badge_surcharge": cells[4] == "1",
                         "blocking_surcharge": cells[5] == "1",
                         "demonstrator": cells[6] == "1", "imported_by": cells[7]})
        except (ValueError, IndexError):
            continue
    with instance.runtime.db.engine.begin() as connection:
        connection.execute(insert(BASELINE_TABLE), rows)


WORKLOAD = BatchWorkload(
    description=f"import of {LINES} CSV metre readings (1 % bad) into {BATCHES_PER_FILE} "
                "batches, vs csv parsing + SQLAlchemy Core executemany (target ≥ 0.5)",
    prepare=prepare, regie=regie, baseline=baseline)
