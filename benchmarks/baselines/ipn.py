"""Baseline of the ``ipn`` workload: a minimal Flask app that records Paybox payment
notifications.

For each notification it verifies the RSA signature over the raw query string (the TestK004
key, as Régie in test mode), reads the order the reference names (its account and amount), and
in one transaction inserts the payment, a ledger entry and updates the account's balance. A
unique reference makes a second delivery a no-op. Like Régie's IPN route it always answers 200
with an empty body. It keeps its own tables (``bench_ipn_*``) in the instance's database,
created and filled by the workload. Configured by ``BENCH_DATABASE_URL``.
"""

from __future__ import annotations

import base64
import binascii
import os
from importlib import resources
from urllib.parse import parse_qsl, unquote_to_bytes

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from flask import Flask, Response, request
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

metadata = MetaData()
accounts = Table(
    "bench_ipn_account", metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_key", String(100), nullable=False, unique=True),
    Column("balance", BigInteger, nullable=False, default=0),
)
orders = Table(
    "bench_ipn_order", metadata,
    Column("reference", String(250), primary_key=True),
    Column("account_id", ForeignKey(accounts.c.id), nullable=False),
    Column("amount", BigInteger, nullable=False),
)
payments = Table(
    "bench_ipn_payment", metadata,
    Column("id", Integer, primary_key=True),
    Column("reference", String(250), nullable=False, unique=True),
    Column("transaction", String(250), nullable=False),
    Column("account_id", ForeignKey(accounts.c.id), nullable=False),
    Column("amount", BigInteger, nullable=False),
)
entries = Table(
    "bench_ipn_entry", metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", ForeignKey(accounts.c.id), nullable=False),
    Column("payment_id", ForeignKey(payments.c.id), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("balance_after", BigInteger, nullable=False),
)

SIGNATURE = b"&Sign="


def connect(url: str) -> Engine:
    """An engine on ``url``; on SQLite with the connection settings Régie uses (WAL, a busy
    timeout, writers taking the lock at BEGIN), so both sides wait on the same lock."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=10000",
                           "synchronous=NORMAL"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    return engine


def add_orders(url: str, rows: list[tuple[str, str, int]]) -> None:
    """Create the tables if needed and add orders: (reference, account owner key, amount)."""
    engine = connect(url)
    metadata.create_all(engine)
    with engine.begin() as connection:
        known = dict(connection.execute(select(accounts.c.owner_key, accounts.c.id)).all())
        for owner in sorted({owner for _reference, owner, _amount in rows} - known.keys()):
            known[owner] = connection.execute(
                insert(accounts).values(owner_key=owner, balance=0)
                .returning(accounts.c.id)).scalar_one()
        connection.execute(insert(orders), [
            {"reference": reference, "account_id": known[owner], "amount": amount}
            for reference, owner, amount in rows])
    engine.dispose()


def totals(url: str) -> dict[str, int]:
    """What the baseline recorded: payments, distinct references, entries, the sum of the
    entries and of the balances."""
    engine = connect(url)
    with engine.connect() as connection:
        figures = {
            "payments": connection.scalar(select(func.count()).select_from(payments)),
            "references": connection.scalar(select(func.count(payments.c.reference.distinct()))),
            "entries": connection.scalar(select(func.count()).select_from(entries)),
            "entries_total": connection.scalar(select(func.coalesce(func.sum(entries.c.amount),
                                                                    0))),
            "balances_total": connection.scalar(select(func.coalesce(func.sum(
                accounts.c.balance), 0))),
        }
    engine.dispose()
    return figures


def _verified(raw: bytes, key) -> bool:
    cut = raw.rfind(SIGNATURE)
    if cut <= 0:
        return False
    try:
        signature = base64.b64decode(unquote_to_bytes(raw[cut + len(SIGNATURE):]), validate=True)
        key.verify(signature, raw[:cut], padding.PKCS1v15(), hashes.SHA1())
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


def create_app() -> Flask:
    app = Flask(__name__)
    engine = connect(os.environ["BENCH_DATABASE_URL"])
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    key = serialization.load_pem_public_key(
        resources.files("regie_paybox").joinpath("keys", "TestK004.pub.pem").read_bytes())

    @app.get("/healthz")
    def healthz():
        return "ok\n"

    @app.get("/callbacks/<slug>/payments_paybox/ipn")
    def ipn(slug: str):
        raw = request.query_string
        values = dict(parse_qsl(raw.decode("latin-1")))
        if not _verified(raw, key) or values.get("Erreur") != "00000":
            return Response(b"", status=200, content_type="text/plain")
        with engine.begin() as connection:
            order = connection.execute(select(orders).where(
                orders.c.reference == values.get("Ref", ""))).one_or_none()
            if order is not None and str(order.amount) == values.get("Mt"):
                payment_id = connection.execute(
                    dialect.insert(payments).values(
                        reference=order.reference, transaction=values.get("Trans", ""),
                        account_id=order.account_id, amount=order.amount)
                    .on_conflict_do_nothing(index_elements=["reference"])
                    .returning(payments.c.id)).scalar()
                if payment_id is not None:
                    balance = connection.execute(
                        update(accounts).where(accounts.c.id == order.account_id)
                        .values(balance=accounts.c.balance + order.amount)
                        .returning(accounts.c.balance)).scalar_one()
                    connection.execute(insert(entries).values(
                        account_id=order.account_id, payment_id=payment_id,
                        amount=order.amount, balance_after=balance))
        return Response(b"", status=200, content_type="text/plain")

    return app
