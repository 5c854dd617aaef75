"""The sync API the school's agent talks to: token checks, pushes answered per item with the
balance reconciled by a visible adjustment, and the payment cursor."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from regie.api import account_by_id, record_payment, statement
from regie.db.models import AuditEvent
from regie_reservation import individuals
from regie_reservation.models import Individual, Passage
from regie_reservation.sync import tokens
from regie_reservation.sync.models import SyncToken

AS_OF = "2026-11-20T16:30:00+00:00"


def pupil(external_id="1001", *, balance=None, passages=(), **fields):
    return {"external_id": external_id, "last_name": "Durand", "first_name": "Zoé",
            "class_name": "5B", "regime": "demi-pension", "login": f"zoe{external_id}",
            "password": "mako-27-tiru", "responsible_name": "Mme Durand",
            "responsible_email": "durand@example.org", "balance": balance,
            "passages": [{"external_id": key, "day": day, "meal": "lunch", "price": price}
                         for key, day, price in passages], **fields}


def push(sync_api, items, *, mode="periodic", through=0, token=...):
    kwargs = {} if token is ... else {"token": token}
    return sync_api("post", "individuals", json={"mode": mode, "as_of": AS_OF,
                                                 "payments_through": through, "items": items},
                    **kwargs)


def account_of(session, place, external_id):
    person = individuals.by_external_id(session, place, external_id)
    return account_by_id(session, place, person.account_id)


# --- tokens --------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "nonsense", "abcdef123456.wrong-secret"])
def test_requests_without_a_valid_token_are_refused_logged_and_change_nothing(
        sync_api, session, token, caplog):
    response = push(sync_api, [pupil()], token=token)

    assert response.status_code == 401
    assert "refused" in response.get_json()["error"]
    assert session.scalar(select(func.count()).select_from(Individual)) == 0
    refused = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "reservation.sync.refused")).all()
    assert len(refused) == 1 and refused[0].ip == "127.0.0.1"
    assert "sync API refused" in caplog.text


def test_a_token_works_only_for_its_own_school(sync_api, make_establishment, client,
                                               sync_token):
    make_establishment("lycee-voisin", plugins=["reservation"])
    response = client.get("/callbacks/lycee-voisin/reservation/sync/v1/payments",
                          headers={"Authorization": f"Bearer {sync_token}"})
    assert response.status_code == 401
    assert sync_api("get", "payments").status_code == 200


def test_only_a_hash_of_the_token_is_stored_and_rotation_revokes_the_old_one(
        sync_api, transaction, session, sync_token):
    public_id, secret = sync_token.split(".")
    stored = session.scalar(select(SyncToken).where(SyncToken.public_id == public_id))
    assert secret not in stored.secret_hash and len(stored.secret_hash) == 64

    with transaction() as (writing, place):
        new = tokens.rotate(writing, place, stored.id, actor="admin")[1]

    assert sync_api("get", "payments").status_code == 401
    assert sync_api("get", "payments", token=new).status_code == 200
    with transaction() as (writing, place):
        tokens.revoke(writing, place, tokens.authenticate(writing, place, new).id)
    assert sync_api("get", "payments", token=new).status_code == 401


# --- pushes --------------------------------------------------------------------------------


def test_a_push_creates_individuals_records_passages_and_confirms_the_balance(
        sync_api, session, school):
    response = push(sync_api, [pupil("1001", balance=1570, passages=[
        ("P1", "2026-11-16", 330), ("P2", "2026-11-17", 330)])])

    assert response.status_code == 200
    [result] = response.get_json()["results"]
    assert result == {"key": "1001", "status": "created", "passages_recorded": 2,
                      "passages_known": 0, "adjustment": 2230}
    person = individuals.by_external_id(session, school, "1001")
    assert person.login == "zoe1001" and person.initial_password == "mako-27-tiru"
    assert [(r.name, r.email) for r in person.responsibles] == [("Mme Durand",
                                                                 "durand@example.org")]
    assert person.balance_as_of == dt.datetime(2026, 11, 20, 16, 30, tzinfo=dt.UTC)
    account = account_of(session, school, "1001")
    assert account.balance == 1570
    meals, adjustment = statement(session, account)
    assert (meals.kind, meals.amount, meals.label) == (
        "reservation.meal", -660, "2 meals from 2026-11-16 to 2026-11-17")
    assert (adjustment.kind, adjustment.amount) == ("reservation.adjust", 2230)
    assert set(session.scalars(select(Passage.entry_id))) == {meals.id}


def test_the_same_push_again_changes_nothing(sync_api, session, school):
    items = [pupil("1001", balance=1570, passages=[("P1", "2026-11-16", 330)])]
    push(sync_api, items)

    [again] = push(sync_api, items).get_json()["results"]

    assert again["status"] == "unchanged"
    assert again["passages_known"] == 1 and again["passages_recorded"] == 0
    assert session.scalar(select(func.count()).select_from(Passage)) == 1
    assert len(statement(session, account_of(session, school, "1001"))) == 2


def test_a_new_passage_and_its_balance_need_no_adjustment(sync_api, session, school):
    push(sync_api, [pupil("1001", balance=1000)])

    [result] = push(sync_api, [pupil("1001", balance=670, passages=[
        ("P9", "2026-11-19", 330)])]).get_json()["results"]

    assert result["status"] == "updated" and result["adjustment"] == 0
    assert account_of(session, school, "1001").balance == 670


def test_a_bad_item_is_refused_alone(sync_api, session, school):
    results = push(sync_api, [
        pupil("1001", balance=500),
        pupil("1002", balance="12.50"),
        pupil("1003", passages=[("P3", "20/11/2026", 330)]),
        {"external_id": "1004", "first_name": "Sans nom"},
        pupil("1005", login="zoe1001"),
    ]).get_json()["results"]

    assert [r["status"] for r in results] == ["created", "rejected", "rejected", "rejected",
                                              "rejected"]
    assert "balance: must be a whole number of cents" in results[1]["reason"]
    assert "P3" in results[2]["reason"] and "day" in results[2]["reason"]
    assert "last_name: is required" in results[3]["reason"]
    assert "zoe1001" in results[4]["reason"]
    assert session.scalars(select(Individual.external_id)).all() == ["1001"]
    assert session.scalar(select(func.count()).select_from(Passage)) == 0


def test_the_full_push_updates_login_and_balance_and_refuses_unknown_individuals(
        sync_api, session, school):
    push(sync_api, [pupil("1001", balance=1000)])

    results = push(sync_api, [{"external_id": "1001", "login": "zoe.durand", "balance": 800},
                              {"external_id": "9999", "login": "x", "balance": 0}],
                   mode="full").get_json()["results"]

    assert results[0] == {"key": "1001", "status": "updated", "adjustment": -200}
    assert results[1]["status"] == "rejected"
    assert "unknown individual 9999" in results[1]["reason"]
    person = individuals.by_external_id(session, school, "1001")
    assert person.login == "zoe.durand" and person.class_name == "5B"
    assert account_of(session, school, "1001").balance == 800


def test_a_malformed_push_is_refused_whole(sync_api, session):
    response = sync_api("post", "individuals", json={"as_of": "yesterday", "items": "all"})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert "as_of" in error and "items: must be a list" in error
    assert session.scalar(select(func.count()).select_from(Individual)) == 0


# --- payments and reconciliation -------------------------------------------------------------


def pay(regie_runtime, transaction, external_id, amount, reference):
    with transaction() as (session, place):
        account = account_of(session, place, external_id)
        return record_payment(session, regie_runtime, place, account=account,
                              method="cash", amount=amount, reference=reference
                              ).receipt_number


def test_payments_are_pulled_once_in_receipt_order_with_reference_and_receipt(
        sync_api, regie_runtime, transaction):
    push(sync_api, [pupil("1001"), pupil("1002")])
    first = pay(regie_runtime, transaction, "1001", 2000, "97")
    second = pay(regie_runtime, transaction, "1002", 1500, "98")
    third = pay(regie_runtime, transaction, "1001", 500, "99")

    page = sync_api("get", "payments", after=0, limit=2).get_json()
    assert [(i["reference"], i["receipt"], i["individual"], i["amount"])
            for i in page["items"]] == [("97", first, "1001", 2000), ("98", second, "1002", 1500)]
    assert page["more"] is True and page["next"] == second
    rest = sync_api("get", "payments", after=page["next"]).get_json()
    assert [i["reference"] for i in rest["items"]] == ["99"] and rest["next"] == third
    assert rest["more"] is False
    assert sync_api("get", "payments", after=third).get_json()["items"] == []


def test_a_web_payment_the_back_office_has_not_pulled_is_not_undone_by_its_balance(
        sync_api, regie_runtime, transaction, session, school):
    push(sync_api, [pupil("1001", balance=1000)])
    receipt = pay(regie_runtime, transaction, "1001", 2000, "97")

    [stale] = push(sync_api, [pupil("1001", balance=1000)],
                   through=receipt - 1).get_json()["results"]
    assert stale["adjustment"] == 0
    [pulled] = push(sync_api, [pupil("1001", balance=3000)],
                    through=receipt).get_json()["results"]
    assert pulled["adjustment"] == 0
    assert account_of(session, school, "1001").balance == 3000


def test_payments_of_other_accounts_are_not_offered_to_the_back_office(
        sync_api, regie_runtime, transaction):
    from regie.api import open_account

    with transaction() as (session, place):
        other = open_account(session, place, kind="other.thing", owner_key="x")
        record_payment(session, regie_runtime, place, account=other, method="cash",
                       amount=100)
    assert sync_api("get", "payments").get_json()["items"] == []
