"""Baseline of the ``placier-ticket`` workload: a minimal Flask app doing the TICKET flow of a
placier with the same reads and one insert.

``GET /b/<token>?market=ID`` reads the trader by badge token, the market, today's ticket if
any and the trader's usual metres, and renders the ticket form with a CSRF token;
``POST /ticket/<token>?market=ID`` reads the trader and the market again, inserts the ticket
(one per trader, market and day) and redirects to ``GET /tickets/<id>``, which shows the metres
and the amount. It reads Régie's ``markets_*`` tables and writes its tickets to its own table
``bench_placier_ticket``. Configured by ``BENCH_DATABASE_URL`` and ``BENCH_SECRET_KEY``.
"""

from __future__ import annotations

import datetime as dt
import os

from flask import Flask, abort, redirect, render_template_string, request
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    Table,
    UniqueConstraint,
    create_engine,
    event,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError

metadata = MetaData()
tickets = Table(
    "bench_placier_ticket", metadata,
    Column("id", Integer, primary_key=True),
    Column("trader_id", Integer, nullable=False),
    Column("market_id", Integer, nullable=False),
    Column("day", Date, nullable=False),
    Column("metres", Integer, nullable=False),
    Column("amount", Integer, nullable=False),
    UniqueConstraint("trader_id", "market_id", "day"),
)

TRADER = text("SELECT t.id, t.number, t.legal_name, t.blocked, t.badge_associated, s.label "
              "FROM markets_trader t LEFT JOIN markets_sales_nature s "
              "ON s.id = t.sales_nature_id WHERE t.badge_token = :token AND t.active")
MARKET = text("SELECT id, name, tariff_standard, tariff_surcharge FROM markets_market "
              "WHERE id = :id")
USUAL = text("SELECT metres FROM markets_ticket WHERE trader_id = :trader AND market_id = "
             ":market ORDER BY day DESC LIMIT 200")

FORM = """<!doctype html><html><head><title>{{ trader.legal_name }}</title></head><body>
<h1>{{ trader.legal_name }} · {{ trader.number }}</h1><p>{{ trader.label or "" }}</p>
<p>Ticket · {{ market.name }}</p>
<form method="post" action="/ticket/{{ token }}?market={{ market.id }}">
<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
{% for m in (2, 4, 6, 8) %}<button name="metres" value="{{ m }}">{{ m }} m</button>{% endfor %}
<select name="metres">{% for m in range(1, 51) %}
<option{% if m == usual %} selected{% endif %}>{{ m }}</option>{% endfor %}</select>
<button type="submit">Save the ticket</button></form></body></html>"""
SHOWN = """<!doctype html><html><head><title>Ticket</title></head><body>
<strong data-ticket-metres>{{ ticket.metres }} m</strong>
<strong data-ticket-amount>{{ "%.2f"|format(ticket.amount / 100) }} €</strong></body></html>"""


def connect(url: str):
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


def create_tables(url: str) -> None:
    engine = connect(url)
    metadata.create_all(engine)
    engine.dispose()


def count(url: str) -> tuple[int, int]:
    """Tickets the baseline saved, and distinct (trader, market, day) among them."""
    engine = connect(url)
    with engine.connect() as connection:
        total = connection.scalar(select(func.count()).select_from(tickets))
        distinct = connection.scalar(select(func.count()).select_from(
            select(tickets.c.trader_id, tickets.c.market_id, tickets.c.day).distinct()
            .subquery()))
    engine.dispose()
    return total, distinct


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=os.environ["BENCH_SECRET_KEY"])
    CSRFProtect(app)
    engine = connect(os.environ["BENCH_DATABASE_URL"])

    def loaded(connection, token: str):
        trader = connection.execute(TRADER, {"token": token}).one_or_none()
        market = connection.execute(MARKET, {"id": request.args.get("market", type=int)}
                                    ).one_or_none()
        if trader is None or market is None:
            abort(404)
        return trader, market

    def existing(connection, trader, market):
        return connection.execute(select(tickets.c.id).where(
            tickets.c.trader_id == trader.id, tickets.c.market_id == market.id,
            tickets.c.day == dt.date.today())).scalar()

    @app.get("/healthz")
    def healthz():
        return "ok\n"

    @app.get("/b/<token>")
    def badge(token: str):
        with engine.connect() as connection:
            trader, market = loaded(connection, token)
            found = existing(connection, trader, market)
            if found:
                return redirect(f"/tickets/{found}")
            metres = [row[0] for row in connection.execute(
                USUAL, {"trader": trader.id, "market": market.id})]
        usual = max(set(metres), key=metres.count) if metres else 6
        return render_template_string(FORM, trader=trader, market=market, token=token,
                                      usual=usual)

    @app.post("/ticket/<token>")
    def save(token: str):
        metres = request.form.get("metres", type=int)
        if metres is None or not 1 <= metres <= 50:
            abort(422)
        try:
            with engine.begin() as connection:
                trader, market = loaded(connection, token)
                surcharges = int(trader.blocked) + int(not trader.badge_associated)
                ticket_id = connection.execute(insert(tickets).values(
                    trader_id=trader.id, market_id=market.id, day=dt.date.today(),
                    metres=metres, amount=metres * market.tariff_standard
                    + metres * market.tariff_surcharge * surcharges)
                    .returning(tickets.c.id)).scalar_one()
        except IntegrityError:
            with engine.connect() as connection:
                ticket_id = existing(connection, *loaded(connection, token))
        return redirect(f"/tickets/{ticket_id}")

    @app.get("/tickets/<int:ticket_id>")
    def shown(ticket_id: int):
        with engine.connect() as connection:
            ticket = connection.execute(select(tickets).where(tickets.c.id == ticket_id)
                                        ).one_or_none()
        if ticket is None:
            abort(404)
        return render_template_string(SHOWN, ticket=ticket)

    return app
