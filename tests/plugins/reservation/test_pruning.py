"""Web payments the back office has pulled and acknowledged are deleted from the site after the
school's ``web_payments_kept_days`` (90 by default); those it has not acknowledged stay."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from regie.api import account_by_id, record_payment, utcnow
from regie.tasks.runner import run_now
from regie_reservation import individuals
from regie_reservation.sync import pulls
from regie_reservation.sync.models import SyncPayment


@pytest.fixture
def school_settings() -> dict:
    return {"reservation_enabled": True, "web_payments_kept_days": 30}


@pytest.fixture
def pay(make_individual, transaction, regie_runtime):
    """``pay(reference)``: a payment on a pupil's meal account; its receipt number."""
    individual_id = make_individual()

    def record(reference: str) -> int:
        with transaction() as (session, place):
            pupil = individuals.get(session, place, individual_id)
            return record_payment(session, regie_runtime, place,
                                  account=account_by_id(session, place, pupil.account_id),
                                  method="cash", amount=1000, reference=reference
                                  ).receipt_number

    return record


def references(page) -> list[str]:
    return [item["reference"] for item in page.get_json()["items"]]


def kept(session) -> list[str]:
    session.rollback()
    return sorted(session.scalars(select(SyncPayment.reference)))


def test_acknowledged_payments_go_after_the_days_kept_and_the_others_stay(
        sync_api, pay, transaction, session):
    pay("97")
    second = pay("98")
    pay("99")
    assert references(sync_api("get", "payments", after=0)) == ["97", "98", "99"]
    assert references(sync_api("get", "payments", after=second)) == ["99"], (
        "pulling after the second payment acknowledges the first two")
    with transaction() as (db, place):
        assert pulls.prune_payments(db, place, 30, now=utcnow() + dt.timedelta(days=29)) == 0
        assert pulls.prune_payments(db, place, 30, now=utcnow() + dt.timedelta(days=31)) == 2
    assert kept(session) == ["99"]
    assert references(sync_api("get", "payments", after=second)) == ["99"]
    assert references(sync_api("get", "payments", after=0)) == ["99"]


def test_an_agent_that_never_pulls_again_loses_nothing(sync_api, pay, transaction, session):
    pay("97")
    sync_api("get", "payments", after=0)
    with transaction() as (db, place):
        assert pulls.prune_payments(db, place, 1, now=utcnow() + dt.timedelta(days=365)) == 0
    assert kept(session) == ["97"]


def test_the_daily_task_uses_the_school_setting(sync_api, pay, regie_runtime, regie_engine,
                                                transaction, session):
    task = {task.name: task for task in regie_engine.items("regie_scheduled_tasks")}[
        "reservation.prune_web_payments"]
    assert task.per_establishment and task.schedule == "50 3 * * *"
    old, recent = pay("97"), pay("98")
    sync_api("get", "payments", after=recent)
    with transaction() as (db, _place):
        db.execute(update(SyncPayment).where(SyncPayment.receipt_number == old)
                   .values(acknowledged_at=utcnow() - dt.timedelta(days=31)))
    [outcome] = run_now(regie_runtime, task.name, "college-jean-moulin")
    assert outcome.error == ""
    assert kept(session) == ["98"]


def test_a_school_cannot_keep_web_payments_less_than_a_day(make_establishment):
    from regie.api import Veto

    with pytest.raises(Veto, match="at least one day"):
        make_establishment(plugins={"reservation": {"web_payments_kept_days": 0}})
