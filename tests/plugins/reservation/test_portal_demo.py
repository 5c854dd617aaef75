"""The demonstration school: 400 pupils in 16 classes with logins, a term of meals, holidays,
planning and reservations, loaded quickly."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from regie.api import Establishment
from regie_reservation import demo
from regie_reservation.models import (
    Holiday,
    Individual,
    Passage,
    PlanningDay,
    Reservation,
    Responsible,
)


def test_demo_school(regie_runtime, school):
    started = time.perf_counter()
    with regie_runtime.db.transaction() as session:
        demo.fill(session, session.get(Establishment, school.id))
    elapsed = time.perf_counter() - started
    with regie_runtime.db.session() as session:
        def count(model, *criteria):
            return session.scalar(select(func.count()).select_from(model).where(
                model.establishment_id == school.id, *criteria))

        assert count(Individual) == 400
        assert session.scalar(select(func.count(func.distinct(Individual.class_name)))) == 16
        assert count(Individual, Individual.login.is_(None)) == 0
        assert count(Individual, Individual.last_login_at.is_not(None)) > 100
        assert count(Responsible) == 400
        assert count(Passage) > 9000
        assert count(Passage, Passage.entry_id.is_not(None)) > 0
        assert count(Holiday) == 2 and count(PlanningDay) == 7
        assert count(Reservation) > 100
        logins_made = session.scalars(select(Individual.login)).all()
        assert len(set(logins_made)) == 400
    assert elapsed < 120, f"the demo took {elapsed:.1f} s"  # 20 s on an idle laptop
