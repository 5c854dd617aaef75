"""Fixtures for the school canteen: a school with the plugin on, its individuals, and a write
transaction in it.

The engine offers the core's fake online method (:data:`regie.testing.payments.FAKE_METHOD`)
as the school's online method, so top-ups are paid through the core flow.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from contextlib import contextmanager

import pytest

from regie.api import Establishment
from regie.testing.payments import engine_with_fake_method
from regie_reservation import individuals
from regie_reservation.individuals import IndividualData

SLUG = "college-jean-moulin"
_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def regie_engine():
    return engine_with_fake_method(["reservation", "mail_smtp"])


@pytest.fixture
def school_settings() -> dict:
    """The plugin's settings in :func:`school` (override in a module for others)."""
    return {"reservation_enabled": True}


@pytest.fixture
def school(make_establishment, school_settings) -> Establishment:
    return make_establishment(SLUG, name="Collège Jean Moulin",
                              plugins={"reservation": school_settings}, locale="en")


@pytest.fixture
def transaction(regie_runtime, school):
    """``with transaction() as (session, place):`` a write transaction in the school."""

    @contextmanager
    def open_():
        with regie_runtime.db.transaction() as session:
            yield session, session.get(Establishment, school.id)

    return open_


@pytest.fixture
def make_individual(transaction) -> Callable[..., int]:
    """A pupil (by default) of the school; keyword arguments are :class:`IndividualData`
    fields. Returns the individual's id."""

    def make(**fields) -> int:
        number = next(_numbers)
        data = {"external_id": f"E{number}", "last_name": f"Martin{number}",
                "first_name": "Léa", "class_name": "6A", **fields}
        with transaction() as (session, place):
            return individuals.upsert(session, place, IndividualData(**data)).id

    return make


# --- back-office sync (SYNC) ---------------------------------------------------------------


@pytest.fixture
def sync_token(transaction) -> str:
    """The text of an active agent token of the school."""
    from regie_reservation.sync import tokens

    with transaction() as (session, place):
        return tokens.create(session, place, label="Test agent")[1]


@pytest.fixture
def sync_api(client, school, sync_token):
    """``sync_api("get", "payments", after=0)`` or ``sync_api("post", "individuals", json=…)``:
    the test client calling the school's sync API with its token."""

    def call(method: str, path: str, *, token: str | None = sync_token, json=None, **params):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        url = f"/callbacks/{SLUG}/reservation/sync/v1/{path}"
        if method == "get":
            return client.get(url, query_string=params, headers=headers)
        return client.post(url, json=json, headers=headers)

    return call


@pytest.fixture
def live_server(regie_runtime):
    """The base URL of the instance's web app, served by werkzeug on 127.0.0.1."""
    import threading

    from werkzeug.serving import make_server

    from regie.web import create_app

    server = make_server("127.0.0.1", 0, create_app(runtime=regie_runtime), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="sync-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


class BackOfficeDb:
    """A back-office database shaped like OrcadiaCS (French names, amounts in euros), for the
    agent's tests: ``eleves``, ``passages``, ``encaissements``, ``reservations``."""

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
responsible_name = "nom_resp"
responsible_email = "mail_resp"

[backoffice.passages]
table = "passages"
columns = { external_id = "id", individual = "id_eleve", day = "date_passage", meal = "repas", price = "prix" }

[backoffice.payments]
table = "encaissements"
columns = { reference = "reference", individual = "id_eleve", amount = "montant", day = "date_enc", mode = "mode", receipt = "recu", number = "num" }

[backoffice.reservations]
table = "reservations"
columns = { web_id = "id_web", individual = "id_eleve", day = "jour", meal = "repas", cancelled = "annulee" }
"""  # noqa: E501

    def __init__(self, url: str, schema: str | None = None) -> None:
        from sqlalchemy import (
            Boolean,
            Column,
            Date,
            Integer,
            MetaData,
            Numeric,
            String,
            Table,
            create_engine,
        )

        self.url, self.schema = url, schema
        self.engine = create_engine(url)
        metadata = MetaData(schema=schema)
        self.eleves = Table(
            "eleves", metadata, Column("id", Integer, primary_key=True, autoincrement=False),
            Column("nom", String(100)), Column("prenom", String(100)),
            Column("classe", String(20)), Column("regime", String(30)),
            Column("login", String(64)), Column("passe", String(64)),
            Column("nom_resp", String(100)), Column("mail_resp", String(200)),
            Column("solde", Numeric(10, 2)))
        self.passages = Table(
            "passages", metadata, Column("id", Integer, primary_key=True, autoincrement=False),
            Column("id_eleve", Integer), Column("date_passage", Date),
            Column("repas", String(20)), Column("prix", Numeric(10, 2)))
        self.encaissements = Table(
            "encaissements", metadata, Column("num", Integer, primary_key=True),
            Column("reference", String(50)), Column("id_eleve", Integer),
            Column("montant", Numeric(10, 2)), Column("date_enc", Date),
            Column("mode", String(20)), Column("recu", Integer))
        self.reservations = Table(
            "reservations", metadata,
            Column("id_web", Integer, primary_key=True, autoincrement=False),
            Column("id_eleve", Integer), Column("jour", Date), Column("repas", String(20)),
            Column("annulee", Boolean))
        self.metadata = metadata
        metadata.create_all(self.engine)

    def insert(self, table, *rows) -> None:
        with self.engine.begin() as connection:
            connection.execute(table.insert(), [dict(row) for row in rows])

    def rows(self, table, order_by=None) -> list[dict]:
        from sqlalchemy import select

        query = select(table)
        if order_by is not None:
            query = query.order_by(table.c[order_by])
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def config(self, folder, server: str, token: str, **extra):
        """Write the agent's TOML file for this back office; returns its path."""
        schema = f'schema = "{self.schema}"\n' if self.schema else ""
        lines = "".join(f"{key} = {value}\n" for key, value in extra.items())
        path = folder / "agent.toml"
        path.write_text(
            f'[server]\nurl = "{server}"\nestablishment = "{SLUG}"\ntoken = "{token}"\n'
            f"retry_for = 2\ntimeout = 10\n{lines}\n"
            f'[backoffice]\nkind = "sql"\nurl = "{self.url}"\n{schema}money = "units"\n'
            + self.MAPPING, encoding="utf-8")
        return path


@pytest.fixture(params=["sqlite", "postgres"])
def backoffice(request, tmp_path):
    """The back office on an SQLite file, then in a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        office = BackOfficeDb(f"sqlite:///{tmp_path / 'orcadia.db'}")
        yield office
        office.engine.dispose()
        return
    import uuid

    from sqlalchemy import create_engine, text

    server = request.getfixturevalue("postgres_url")
    schema = f"orcadia_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    office = BackOfficeDb(server, schema)
    yield office
    office.engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def post_form(client, page: str, data: dict, *, action: str | None = None):
    """POST ``data`` (and the page's CSRF token) as the form of ``page`` would, to ``action``
    (default: the page itself)."""
    import re

    html = client.get(page).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return client.post(action or page, data={"csrf_token": token, **data})
