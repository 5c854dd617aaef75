"""Individuals and their meal account: created or updated by the back-office id, the account
opened once, passages debiting it exactly once."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from regie.api import Invalid, account_by_id, statement
from regie_reservation import individuals
from regie_reservation.individuals import IndividualData
from regie_reservation.models import Individual, Passage

DAY = dt.date(2026, 11, 16)


def test_upsert_creates_then_updates_the_same_individual_and_account(transaction):
    with transaction() as (session, place):
        first = individuals.upsert(session, place, IndividualData(
            external_id="1234", last_name="Durand", first_name="Zoé", class_name="5B",
            regime="demi-pension", login="zoe.durand", password="mako-27-tiru",
            responsibles=[("Mme Durand", "durand@example.org")]))
        account_id = first.account_id
    with transaction() as (session, place):
        again = individuals.upsert(session, place, IndividualData(
            external_id="1234", last_name="Durand", first_name="Zoé", class_name="4B"))
        assert again.account_id == account_id
        assert again.class_name == "4B"
        assert again.login == "zoe.durand" and again.initial_password == "mako-27-tiru"
        assert [(r.name, r.email) for r in again.responsibles] == [
            ("Mme Durand", "durand@example.org")]
        assert session.scalar(select(func.count()).select_from(Individual)) == 1
        assert account_by_id(session, place, account_id).label == "Durand Zoé"


def test_upsert_keeps_the_credentials_the_family_changed(transaction, make_individual):
    individual_id = make_individual(login="leo.petit", password="bapu-38-kemo")
    with transaction() as (session, place):
        individual = individuals.get(session, place, individual_id)
        individual.login = "leo-at-home"
        individual.initial_password = None
        individual.password_hash = "argon2-hash-of-the-family-password"
        individual.family_changed_at = dt.datetime.now(dt.UTC)
    with transaction() as (session, place):
        pushed = individuals.upsert(session, place, IndividualData(
            external_id=individual.external_id, last_name="Petit", login="leo.petit",
            password="bapu-38-kemo"))
        assert pushed.login == "leo-at-home"
        assert pushed.initial_password is None
        assert pushed.password_hash == "argon2-hash-of-the-family-password"


def test_upsert_refuses_a_login_another_individual_has(transaction, make_individual):
    make_individual(login="emma.roux")
    with pytest.raises(Invalid) as refused, transaction() as (session, place):
        individuals.upsert(session, place, IndividualData(
            external_id="9", last_name="Roux", login="Emma.Roux "))
    assert "emma.roux" in refused.value.errors["login"]
    with transaction() as (session, place):
        assert individuals.by_external_id(session, place, "9") is None


def test_upsert_refuses_missing_names(transaction):
    with pytest.raises(Invalid) as refused, transaction() as (session, place):
        individuals.upsert(session, place, IndividualData(external_id=" ", last_name=""))
    assert set(refused.value.errors) == {"external_id", "last_name"}


def test_a_confirmed_balance_is_reached_with_one_adjustment(transaction, make_individual):
    individual_id = make_individual()
    as_of = dt.datetime(2026, 11, 16, 9, 30, tzinfo=dt.UTC)
    for _ in range(2):
        with transaction() as (session, place):
            individual = individuals.get(session, place, individual_id)
            individuals.confirm_balance(session, place, individual, 1830, as_of=as_of)
    with transaction() as (session, place):
        individual = individuals.get(session, place, individual_id)
        assert individuals.balance(session, place, individual) == 1830
        assert individual.balance_as_of == as_of
        assert len(statement(session, account_by_id(session, place, individual.account_id))) == 1


def test_a_passage_debits_the_account_once_even_when_pushed_twice(transaction,
                                                                  make_individual):
    individual_id = make_individual(balance=1000)
    for _ in range(2):
        with transaction() as (session, place):
            individual = individuals.get(session, place, individual_id)
            passage = individuals.record_passage(session, place, individual,
                                                 external_id="P-77", day=DAY, price=345)
    with transaction() as (session, place):
        individual = individuals.get(session, place, individual_id)
        assert individuals.balance(session, place, individual) == 655
        assert session.scalar(select(func.count()).select_from(Passage)) == 1
        assert passage.entry_id is not None


def test_concurrent_pushes_of_one_passage_debit_once(regie_runtime, school, make_individual):
    individual_id = make_individual(balance=1000)

    def push(_):
        with regie_runtime.db.transaction() as session:
            place = session.get(type(school), school.id)
            individual = individuals.get(session, place, individual_id)
            return individuals.record_passage(session, place, individual, external_id="P-1",
                                              day=DAY, price=300).id

    with ThreadPoolExecutor(4) as pool:
        ids = set(pool.map(push, range(4)))
    assert len(ids) == 1
    with regie_runtime.db.session() as session:
        place = session.get(type(school), school.id)
        individual = individuals.get(session, place, individual_id)
        assert individuals.balance(session, place, individual) == 700


def test_a_passage_with_a_negative_price_is_refused(transaction, make_individual):
    individual_id = make_individual()
    with pytest.raises(Invalid) as refused, transaction() as (session, place):
        individual = individuals.get(session, place, individual_id)
        individuals.record_passage(session, place, individual, external_id="P", day=DAY,
                                   price=-5)
    assert "price" in refused.value.errors


def test_last_passages_cover_the_month_or_the_last_seven_days(transaction, make_individual):
    individual_id = make_individual()
    with transaction() as (session, place):
        individual = individuals.get(session, place, individual_id)
        for number, day in enumerate(("2026-10-27", "2026-10-30", "2026-11-02", "2026-11-03")):
            individuals.record_passage(session, place, individual, external_id=f"P{number}",
                                       day=dt.date.fromisoformat(day), price=300)
    with transaction() as (session, place):
        individual = individuals.get(session, place, individual_id)
        early = individuals.last_passages(session, place, individual,
                                          today=dt.date(2026, 11, 4))
        late = individuals.last_passages(session, place, individual,
                                         today=dt.date(2026, 11, 20))
    assert [p.day.isoformat() for p in early] == ["2026-11-03", "2026-11-02", "2026-10-30"]
    assert [p.day.isoformat() for p in late] == ["2026-11-03", "2026-11-02"]
