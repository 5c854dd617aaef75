"""A push request is applied set-wise with the answers, logins, entries and audit trail of
applying its items one after the other."""

from __future__ import annotations

from sqlalchemy import func, select

from regie.api import statement
from regie.db.models import AuditEvent
from regie_reservation import individuals
from regie_reservation.models import Individual, Passage
from tests.plugins.reservation.test_sync_api import account_of, pupil, push


def test_a_login_freed_by_an_earlier_item_can_be_taken_by_a_later_one(sync_api, session,
                                                                        school):
    push(sync_api, [pupil("1001"), pupil("1002")])

    results = push(sync_api, [
        pupil("1003", login="ZOE1002"),
        pupil("1002", login="leo"),
        pupil("1004", login="zoe1002"),
        pupil("1005", login="leo"),
    ]).get_json()["results"]

    assert [r["status"] for r in results] == ["rejected", "updated", "created", "rejected"]
    assert "zoe1002" in results[0]["reason"] and "leo" in results[3]["reason"]
    logins = dict(session.execute(select(Individual.external_id, Individual.login)).all())
    assert logins == {"1001": "zoe1001", "1002": "leo", "1004": "zoe1002"}


def test_many_pupils_at_once_get_their_accounts_entries_and_audit_rows(sync_api, session,
                                                                       school):
    results = push(sync_api, [
        pupil(str(n), balance=1000 + n, passages=[(f"P{n}-1", "2026-11-16", 330),
                                                  (f"P{n}-2", "2026-11-17", 0)])
        for n in range(1, 31)] + [pupil("31", balance=0)]).get_json()["results"]

    assert {r["status"] for r in results} == {"created"}
    assert results[0] == {"key": "1", "status": "created", "passages_recorded": 2,
                          "passages_known": 0, "adjustment": 1331}
    assert results[-1] == {"key": "31", "status": "created", "passages_recorded": 0,
                           "passages_known": 0, "adjustment": 0}
    meals, adjustment = statement(session, account_of(session, school, "7"))
    assert (meals.amount, meals.balance_after, adjustment.amount) == (-330, -330, 1337)
    assert set(session.scalars(select(Passage.entry_id).join(
        Individual, Individual.id == Passage.individual_id)
        .where(Individual.external_id == "7"))) == {meals.id}
    assert account_of(session, school, "31").balance == 0
    assert statement(session, account_of(session, school, "31")) == []
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "account.open")) == 31


def test_an_individual_named_twice_in_a_request_is_created_then_updated(sync_api, session,
                                                                        school):
    results = push(sync_api, [
        pupil("1001", balance=500, passages=[("P1", "2026-11-16", 330)]),
        pupil("1001", balance=500, class_name="4A", passages=[("P1", "2026-11-16", 330)]),
    ]).get_json()["results"]

    assert [(r["status"], r["passages_recorded"], r["passages_known"]) for r in results] == [
        ("created", 1, 0), ("updated", 0, 1)]
    assert individuals.by_external_id(session, school, "1001").class_name == "4A"
    assert account_of(session, school, "1001").balance == 500


def test_a_passage_sent_by_two_items_is_recorded_for_the_first(sync_api, session, school):
    results = push(sync_api, [
        pupil("1001", passages=[("P1", "2026-11-16", 330)]),
        pupil("1002", passages=[("P1", "2026-11-16", 330), ("P2", "2026-11-16", 330)]),
    ]).get_json()["results"]

    assert [(r["passages_recorded"], r["passages_known"]) for r in results] == [(1, 0), (1, 1)]
    assert session.scalar(select(func.count()).select_from(Passage)) == 2


def test_a_new_individual_sending_a_passage_recorded_for_another_records_it_once(
        sync_api, session, school):
    push(sync_api, [pupil("1001", passages=[("P1", "2026-11-16", 330)])])

    results = push(sync_api, [
        pupil("1002", passages=[("P1", "2026-11-16", 330), ("P2", "2026-11-17", 330)]),
    ]).get_json()["results"]

    assert [(r["status"], r["passages_recorded"], r["passages_known"]) for r in results] == [
        ("created", 1, 1)]
    assert dict(session.execute(select(Passage.external_id, Individual.external_id).join(
        Individual, Individual.id == Passage.individual_id)).all()) == {
        "P1": "1001", "P2": "1002"}
    assert account_of(session, school, "1002").balance == -330
