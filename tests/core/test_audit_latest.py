"""``latest``: the most recent audit event of one action in one establishment, for a plugin
that shows the last report it kept (the Paybox reconciliation on the dashboard)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from regie.api import Establishment, audit, latest_audit_event
from regie.db.models import AuditEvent

ACTION = "test.report"


def audit_at(session, at: dt.datetime, action: str, *, establishment, target: str) -> None:
    """Record an event as :func:`audit` does, dated ``at``."""
    audit(session, action, establishment=establishment, target=target)
    session.execute(update(AuditEvent).where(AuditEvent.target == target).values(created_at=at))


def test_latest_is_the_newest_event_of_the_action_in_the_establishment(regie_runtime,
                                                                       make_establishment):
    school, other = make_establishment("school"), make_establishment("other")
    day = dt.datetime(2026, 11, 16, 6, 30, tzinfo=dt.UTC)
    with regie_runtime.db.transaction() as session:
        place, elsewhere = session.get(Establishment, school.id), session.get(Establishment,
                                                                             other.id)
        assert latest_audit_event(session, place, ACTION) is None
        for week, target in enumerate(("first", "second")):
            audit_at(session, day + dt.timedelta(weeks=week), ACTION, establishment=place,
                     target=target)
        audit_at(session, day + dt.timedelta(weeks=3), ACTION, establishment=elsewhere,
                 target="other school")
        audit_at(session, day + dt.timedelta(weeks=3), "test.other_action",
                 establishment=place, target="other action")
        assert latest_audit_event(session, place, ACTION).target == "second"
        assert latest_audit_event(session, elsewhere, ACTION).target == "other school"


def test_events_of_the_same_instant_are_told_apart_by_their_order(regie_runtime,
                                                                   make_establishment):
    school = make_establishment("school")
    moment = dt.datetime(2026, 11, 16, 6, 30, tzinfo=dt.UTC)
    with regie_runtime.db.transaction() as session:
        place = session.get(Establishment, school.id)
        for target in ("earlier", "later"):
            audit_at(session, moment, ACTION, establishment=place, target=target)
        assert latest_audit_event(session, place, ACTION).target == "later"
