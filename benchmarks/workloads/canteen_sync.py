"""canteen-sync: the back-office agent pushes 10 000 individuals and 300 000 passages (with
their balances) to the hosted side through the sync API, served by ``regie serve``.

Régie: ``regie canteen agent``'s individuals stream, in this process, reads the back office (an
SQLite file shaped like OrcadiaCS, amounts in euros) through its mapping and posts the items in
batches over HTTP; the server creates each individual and its meal account, records each passage
(one ledger entry debiting the account) and confirms the balance. Each run goes to a new
school, so every run is a full push. The baseline reads the same back-office rows with
SQLAlchemy Core and bulk-inserts the same individuals and passages with ``executemany`` in one
transaction.

Arranging also times, on a school of its own, a full push followed by an incremental run with
nothing changed (the agent sends only what changed since the server acknowledged it), and
prints how many times faster the incremental run is (target ≥ 20×). ``CANTEEN_BENCH_INDIVIDUALS``
and ``CANTEEN_BENCH_PASSAGES`` scale it down for a quick try.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import decimal
import itertools
import os
import random
import time

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    create_engine,
    func,
    insert,
    select,
)

from benchmarks.instance import Instance
from benchmarks.runner import Options, regie_server
from benchmarks.workloads import BatchWorkload
from regie.db.models import Establishment
from regie.services import establishments
from regie_reservation.agent import config as agent_config
from regie_reservation.agent.cli import open_streams
from regie_reservation.agent.streams import window_start
from regie_reservation.models import Individual, Passage
from regie_reservation.sync import tokens

INDIVIDUALS = int(os.environ.get("CANTEEN_BENCH_INDIVIDUALS", "10000"))
PASSAGES = int(os.environ.get("CANTEEN_BENCH_PASSAGES", "300000"))
_schools = itertools.count(1)

MAPPING = """
[backoffice.individuals]
table = "eleves"
[backoffice.individuals.columns]
external_id = "id"
last_name = "nom"
first_name = "prenom"
class_name = "classe"
regime = "regime"
login = "login"
password = "passe"
balance = "solde"

[backoffice.passages]
table = "passages"
[backoffice.passages.columns]
external_id = "id"
individual = "id_eleve"
day = "date_passage"
meal = "repas"
price = "prix"
"""


def _backoffice(url: str) -> tuple[Table, Table]:
    metadata = MetaData()
    eleves = Table("eleves", metadata, Column("id", Integer, primary_key=True),
                   Column("nom", String(100)), Column("prenom", String(100)),
                   Column("classe", String(20)), Column("regime", String(30)),
                   Column("login", String(64)), Column("passe", String(64)),
                   Column("solde", Numeric(10, 2)))
    passages = Table("passages", metadata, Column("id", Integer, primary_key=True),
                     Column("id_eleve", Integer), Column("date_passage", Date),
                     Column("repas", String(20)), Column("prix", Numeric(10, 2)))
    engine = create_engine(url)
    metadata.create_all(engine)
    return eleves, passages


def _fill(url: str) -> None:
    eleves, passages = _backoffice(url)
    rng = random.Random(7)
    today = dt.date.today()
    first = window_start(today)
    days = [first + dt.timedelta(days=n) for n in range((today - first).days + 1)]
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(insert(eleves), [
            {"id": 100000 + n, "nom": f"Eleve{n:05d}", "prenom": "Prénom",
             "classe": f"{6 - n % 4}{'ABCD'[n % 4]}", "regime": "demi-pension",
             "login": f"eleve{n:05d}", "passe": f"pass-{n:05d}",
             "solde": decimal.Decimal(rng.randrange(-2000, 8000)).scaleb(-2)}
            for n in range(INDIVIDUALS)])
        connection.execute(insert(passages), [
            {"id": n + 1, "id_eleve": 100000 + n % INDIVIDUALS,
             "date_passage": days[(n // INDIVIDUALS) % len(days)],
             "repas": "midi" if (n // INDIVIDUALS) < len(days) else "soir",
             "prix": decimal.Decimal("3.30")} for n in range(PASSAGES)])
    engine.dispose()


def _school(instance: Instance) -> tuple[str, str]:
    """A new school with the plugin on, and its agent token."""
    runtime = instance.runtime
    slug = f"college-{next(_schools)}"
    with runtime.db.transaction() as session:
        place = establishments.create(session, runtime.engine, slug=slug, name=slug)
        establishments.enable_plugin(session, runtime.engine, place, "reservation", {})
        token = tokens.create(session, session.get(Establishment, place.id))[1]
    return slug, token


def _agent(instance: Instance, prepared: dict, slug: str, token: str):
    folder = instance.folder / slug
    folder.mkdir()
    path = folder / "agent.toml"
    path.write_text(
        f'[server]\nurl = "{prepared["server"]}"\nestablishment = "{slug}"\ntoken = "{token}"\n'
        f'timeout = 120\n\n[backoffice]\nkind = "sql"\nurl = "{prepared["backoffice"]}"\n'
        f'money = "units"\n{MAPPING}', encoding="utf-8")
    return open_streams(agent_config.load(path))


def _counts(instance: Instance, slug: str) -> tuple[int, int]:
    with instance.runtime.db.session() as session:
        place = session.scalar(select(Establishment).where(Establishment.slug == slug))
        return (session.scalar(select(func.count()).select_from(Individual)
                               .where(Individual.establishment_id == place.id)),
                session.scalar(select(func.count()).select_from(Passage)
                               .where(Passage.establishment_id == place.id)))


def _push(instance: Instance, prepared: dict) -> tuple[str, float, float]:
    """A full push to a new school, then an incremental run with nothing changed; the
    school and both times."""
    slug, token = _school(instance)
    with _agent(instance, prepared, slug, token) as streams:
        started = time.perf_counter()
        outcome = streams.individuals()
        full = time.perf_counter() - started
        if outcome.counts["created"] != INDIVIDUALS:
            raise RuntimeError(f"full push: {outcome.line()}")
        started = time.perf_counter()
        again = streams.individuals()
        incremental = time.perf_counter() - started
        if dict(again.counts):
            raise RuntimeError(f"incremental run sent something: {again.line()}")
    if _counts(instance, slug) != (INDIVIDUALS, PASSAGES):
        raise RuntimeError(f"the server holds {_counts(instance, slug)}")
    return slug, full, incremental


def prepare(instance: Instance) -> dict:
    backoffice = f"sqlite:///{instance.folder / 'orcadia.db'}"
    _fill(backoffice)
    stack = contextlib.ExitStack()
    server = stack.enter_context(regie_server(instance, Options(workers=1, threads=1)))
    atexit.register(stack.close)
    prepared = {"server": server.base, "backoffice": backoffice, "stack": stack}
    try:
        _slug, full, incremental = _push(instance, prepared)
    except Exception:
        print((instance.folder / "regie-serve.log").read_text(errors="replace")[-4000:])
        raise
    print(f"incremental run with nothing changed: {incremental:.3f} s, full push {full:.3f} s: "
          f"{full / incremental:.1f}x faster (target >= 20x)", flush=True)
    return prepared


def regie(instance: Instance, prepared: dict) -> None:
    slug, token = _school(instance)
    with _agent(instance, prepared, slug, token) as streams:
        outcome = streams.individuals()
    if outcome.counts["created"] != INDIVIDUALS:
        raise RuntimeError(f"full push: {outcome.line()}")


def baseline(instance: Instance, prepared: dict) -> None:
    metadata = MetaData()
    people = Table("bench_canteen_individual", metadata,
                   Column("id", Integer, primary_key=True), Column("external_id", String(64)),
                   Column("last_name", String(100)), Column("first_name", String(100)),
                   Column("class_name", String(50)), Column("regime", String(50)),
                   Column("login", String(64)), Column("password", String(64)),
                   Column("balance", Integer))
    meals = Table("bench_canteen_passage", metadata, Column("id", Integer, primary_key=True),
                  Column("external_id", String(64)), Column("individual", String(64)),
                  Column("day", Date), Column("meal", String(30)), Column("price", Integer))
    engine = instance.runtime.db.engine
    metadata.drop_all(engine)
    metadata.create_all(engine)
    eleves, passages = _backoffice(prepared["backoffice"])
    source = create_engine(prepared["backoffice"])
    with source.connect() as reading:
        rows = reading.execute(select(eleves)).all()
        meal_rows = reading.execute(select(passages)).all()
    source.dispose()
    with engine.begin() as connection:
        connection.execute(insert(people), [
            {"external_id": str(row.id), "last_name": row.nom, "first_name": row.prenom,
             "class_name": row.classe, "regime": row.regime, "login": row.login,
             "password": row.passe, "balance": int(row.solde * 100)} for row in rows])
        connection.execute(insert(meals), [
            {"external_id": str(row.id), "individual": str(row.id_eleve),
             "day": row.date_passage, "meal": row.repas, "price": int(row.prix * 100)}
            for row in meal_rows])


WORKLOAD = BatchWorkload(description=__doc__.splitlines()[0], prepare=prepare, regie=regie,
                         baseline=baseline)
