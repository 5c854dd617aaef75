"""The ledger: balances are sums of entries, corrections are reversals, tampering is detected."""

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from regie.db.models import Establishment
from regie.db.money import LedgerAccount, LedgerEntry, LedgerError
from regie.services import ledger
from regie.services.errors import Invalid, Veto
from regie.services.money import Money


@pytest.fixture
def school(make_establishment):
    return make_establishment(slug="ecole", name="École")


def open_pupil(db, school, key="1234", kind="reservation.pupil", **fields):
    with db.transaction() as session:
        return ledger.open_account(session, session.get(Establishment, school.id),
                                   kind=kind, owner_key=key, **fields)


def post(db, account, amount, kind="charge"):
    with db.transaction() as session:
        return ledger.post_entry(session, session.get(LedgerAccount, account.id), amount,
                                 kind=kind)


def verify(db, school):
    return ledger.verify_establishment(db, school.id)


def test_accounts_are_unique_per_owner_and_establishment(regie_runtime, school,
                                                         make_establishment):
    db = regie_runtime.db
    first = open_pupil(db, school, label="Alice Martin")
    assert open_pupil(db, school).id == first.id
    assert first.currency == "EUR" and first.label == "Alice Martin"
    other = make_establishment(slug="autre")
    assert open_pupil(db, other).id != first.id
    with pytest.raises(Invalid) as refused:
        open_pupil(db, school, "", kind="Bad Kind")
    assert set(refused.value.errors) == {"kind", "owner_key"}


def test_balance_is_the_sum_of_entries_with_a_running_balance(regie_runtime, school):
    db = regie_runtime.db
    account = open_pupil(db, school)
    post(db, account, -450)
    post(db, account, Money(2000, "EUR"), kind="payment")
    post(db, account, -450)
    with db.session() as session:
        fresh = ledger.account_by_id(session, school.id, account.id)
        assert fresh.balance == 1100
        assert [(e.amount, e.balance_after) for e in ledger.statement(session, fresh)] == [
            (-450, -450), (2000, 1550), (-450, 1100)]
    assert verify(db, school).ok


def test_many_entries_posted_at_once_chain_and_balance_as_one_by_one(regie_runtime, school):
    db = regie_runtime.db
    alice, bruno = open_pupil(db, school, "1"), open_pupil(db, school, "2")
    post(db, alice, 1000, kind="payment")
    with db.transaction() as session:
        accounts = {account.id: account for account in session.query(LedgerAccount)}
        entry_ids = ledger.post_entries(session, [
            ledger.Posting(accounts[alice.id], -300, "invoice", "Invoice 2026-10-0001"),
            ledger.Posting(accounts[bruno.id], -450, "invoice", "Invoice 2026-10-0002"),
            ledger.Posting(accounts[alice.id], Money(-200, "EUR"), "invoice", "Invoice 3"),
        ])
        assert len(set(entry_ids)) == 3
        assert [(e.id, e.amount) for e in session.scalars(
            select(LedgerEntry).where(LedgerEntry.id.in_(entry_ids))
            .order_by(LedgerEntry.sequence))] == list(zip(entry_ids, [-300, -450, -200],
                                                         strict=True))
        assert session.get(LedgerAccount, alice.id).balance == 500, "the session sees it"
    post(db, bruno, 50, kind="payment")

    with db.session() as session:
        assert [(e.amount, e.balance_after, e.label) for e in ledger.statement(
            session, ledger.account_by_id(session, school.id, alice.id))] == [
            (1000, 1000, ""), (-300, 700, "Invoice 2026-10-0001"), (-200, 500, "Invoice 3")]
        assert ledger.account_by_id(session, school.id, bruno.id).balance == -400
    assert verify(db, school).ok and verify(db, school).entries == 5


def test_posting_at_once_refuses_a_bad_entry_and_mixed_establishments(regie_runtime, school,
                                                                      make_establishment):
    db = regie_runtime.db
    here, there = open_pupil(db, school, "1"), open_pupil(db, make_establishment("autre"), "1")
    with db.transaction() as session, pytest.raises(Invalid):
        ledger.post_entries(session, [
            ledger.Posting(session.get(LedgerAccount, here.id), -300, "invoice"),
            ledger.Posting(session.get(LedgerAccount, here.id), 0, "invoice")])
    with db.transaction() as session, pytest.raises(ValueError, match="one establishment"):
        ledger.post_entries(session, [
            ledger.Posting(session.get(LedgerAccount, here.id), -300, "invoice"),
            ledger.Posting(session.get(LedgerAccount, there.id), -300, "invoice")])
    assert verify(db, school).entries == 0


def test_entries_refuse_zero_floats_and_other_currencies(regie_runtime, school):
    account = open_pupil(regie_runtime.db, school)
    with pytest.raises(Invalid):
        post(regie_runtime.db, account, 0)
    with pytest.raises(TypeError):
        post(regie_runtime.db, account, 12.5)
    with pytest.raises(Invalid, match="EUR"):
        post(regie_runtime.db, account, Money(100, "UAH"))


def test_entries_cannot_be_edited_or_deleted_through_the_orm(regie_runtime, school):
    db = regie_runtime.db
    account = open_pupil(db, school)
    entry = post(db, account, -300)
    with pytest.raises(LedgerError), db.transaction() as session:
        session.get(LedgerEntry, entry.id).amount = -3
    with pytest.raises(LedgerError), db.transaction() as session:
        session.delete(session.get(LedgerEntry, entry.id))
    with pytest.raises(LedgerError), db.transaction() as session:
        from sqlalchemy import delete
        session.execute(delete(LedgerEntry))
    assert verify(db, school).ok


def test_a_reversal_is_the_only_correction_and_happens_once(regie_runtime, school):
    db = regie_runtime.db
    account = open_pupil(db, school)
    entry = post(db, account, -300)
    with db.transaction() as session:
        reversal = ledger.reverse(session, session.get(Establishment, school.id), entry.id,
                                  actor="cli")
        assert reversal.amount == 300 and reversal.reverses_entry_id == entry.id
    with pytest.raises(Veto, match="already reversed"), db.transaction() as session:
        ledger.reverse(session, session.get(Establishment, school.id), entry.id)
    with pytest.raises(Veto, match="itself a reversal"), db.transaction() as session:
        ledger.reverse(session, session.get(Establishment, school.id), reversal.id)
    with db.session() as session:
        assert ledger.account_by_id(session, school.id, account.id).balance == 0
    assert verify(db, school).ok


def test_each_establishment_has_its_own_chain(regie_runtime, school, make_establishment):
    db = regie_runtime.db
    other = make_establishment(slug="autre")
    first = post(db, open_pupil(db, school), -100)
    second = post(db, open_pupil(db, other), -100)
    assert first.sequence == second.sequence == 1
    assert first.previous_hash == second.previous_hash == ledger.GENESIS
    assert first.hash != second.hash


def tamper(db, sql, **params):
    with db.engine.begin() as connection:
        connection.execute(text(sql), params)


def test_verify_names_the_first_changed_entry(regie_runtime, school):
    db = regie_runtime.db
    account = open_pupil(db, school)
    entries = [post(db, account, -100 * n) for n in range(1, 5)]
    tamper(db, "UPDATE ledger_entry SET amount = 1 WHERE id = :id", id=entries[1].id)
    result = verify(db, school)
    assert not result.ok
    assert result.first.sequence == 2 and result.first.entry_id == entries[1].id
    assert "changed" in result.first.message
    assert "entry 2" in result.summary()


def test_verify_detects_a_deleted_entry_even_the_last_one(regie_runtime, school):
    db = regie_runtime.db
    account = open_pupil(db, school)
    entries = [post(db, account, -100) for _ in range(3)]
    tamper(db, "DELETE FROM ledger_entry WHERE id = :id", id=entries[2].id)
    result = verify(db, school)
    assert result.first.sequence == 3 and "missing" in result.first.message
    tamper(db, "DELETE FROM ledger_entry WHERE id = :id", id=entries[1].id)
    assert verify(db, school).first.sequence == 2


def test_verify_detects_a_cached_balance_edited_in_place(regie_runtime, school):
    db = regie_runtime.db
    account = open_pupil(db, school)
    post(db, account, -100)
    tamper(db, "UPDATE ledger_account SET balance = 100000 WHERE id = :id", id=account.id)
    result = verify(db, school)
    assert result.first.account_id == account.id and "balance" in result.first.message


posting = st.tuples(st.just("post"), st.integers(0, 2), st.integers(-10**6, 10**6).filter(bool))
operations = st.lists(st.one_of(
    posting,
    st.tuples(st.just("reverse"), st.integers(0, 50), st.just(0)),
), min_size=1, max_size=25)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=posting, ops=operations, target=st.integers(0, 1000))
def test_any_postings_and_reversals_add_up_and_tampering_is_found(regie_runtime,
                                                                  make_establishment, first,
                                                                  ops, target):
    db = regie_runtime.db
    place = make_establishment()
    accounts = [open_pupil(db, place, str(n)) for n in range(3)]
    posted: list[LedgerEntry] = []
    for action, index, amount in [first, *ops]:
        if action == "post":
            posted.append(post(db, accounts[index], amount))
        elif posted:
            with db.transaction() as session:
                entry = session.get(LedgerEntry, posted[index % len(posted)].id)
                with contextlib.suppress(Veto):
                    posted.append(ledger.reverse(session, session.get(Establishment, place.id),
                                                 entry.id))
    with db.session() as session:
        for account in accounts:
            fresh = ledger.account_by_id(session, place.id, account.id)
            assert fresh.balance == sum(entry.amount for entry in posted
                                        if entry.account_id == account.id)
    assert verify(db, place).ok
    victim = posted[target % len(posted)]
    tamper(db, "UPDATE ledger_entry SET label = 'edited' WHERE id = :id", id=victim.id)
    result = verify(db, place)
    assert not result.ok and result.first.entry_id == victim.id
