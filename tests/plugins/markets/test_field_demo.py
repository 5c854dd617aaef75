"""Demonstration data: 3 markets, 300 traders with photos, a year of tickets, enrolments,
loaded quickly enough for ``regie demo``."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from regie_markets.demo import fill
from regie_markets.models import Enrolment, Market, Ticket, Trader, TraderDocument


def test_demo_data_fills_a_year_of_markets_quickly(transaction, regie_runtime):
    started = time.perf_counter()
    with transaction() as (session, place):
        fill(session, place)
    elapsed = time.perf_counter() - started
    if regie_runtime.db.engine.dialect.name == "sqlite":  # the brief's bound, on SQLite
        assert elapsed < 20, f"demo data took {elapsed:.1f} s"
    with transaction() as (session, _place):
        assert session.scalar(select(func.count(Market.id))) == 3
        assert session.scalar(select(func.count(Trader.id))) == 300
        with_photo = session.scalar(select(func.count(Trader.id))
                                    .where(Trader.photo_document_id.is_not(None)))
        assert 250 < with_photo < 300
        photo = session.scalars(select(TraderDocument)).first()
        assert photo.content.startswith(b"\x89PNG")
        first, last = session.execute(select(func.min(Ticket.day), func.max(Ticket.day))).one()
        assert (last - first).days > 330
        assert session.scalar(select(func.count(Ticket.id))) > 5000
        assert session.scalar(select(func.count(Enrolment.id))) > 20
        ranks = session.scalars(select(Enrolment.rank).where(
            Enrolment.market_id == session.scalars(select(Market.id)).first())
            .order_by(Enrolment.rank)).all()
        assert ranks == list(range(1, len(ranks) + 1))
