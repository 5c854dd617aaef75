"""Opening many accounts at once: the same accounts and audit trail as one by one."""

import pytest
from sqlalchemy import select

from regie.db.models import AuditEvent, Establishment
from regie.db.money import LedgerAccount
from regie.services import ledger
from regie.services.errors import Invalid


@pytest.fixture
def school(make_establishment):
    return make_establishment(slug="ecole", name="École")


def open_many(db, school, owners, kind="reservation.pupil", **options):
    with db.transaction() as session:
        accounts = ledger.open_accounts(session, session.get(Establishment, school.id),
                                        kind=kind, owners=owners, **options)
        return {key: (account.id, account.label, account.currency, account.balance)
                for key, account in accounts.items()}


def test_opens_the_missing_accounts_and_returns_the_existing_ones(regie_runtime, school):
    db = regie_runtime.db
    with db.transaction() as session:
        alice = ledger.open_account(session, session.get(Establishment, school.id),
                                    kind="reservation.pupil", owner_key="1", label="Alice")
    opened = open_many(db, school, [("1", "Alice renamed"), (" 2 ", "Bruno"), ("3", ""),
                                    ("2", "Bruno again")], actor="back office")
    assert opened["1"] == (alice.id, "Alice", "EUR", 0)
    assert opened["2"][1:] == ("Bruno", "EUR", 0)
    assert opened["3"][1] == "reservation.pupil 3"
    assert len({account_id for account_id, *_rest in opened.values()}) == 3
    assert open_many(db, school, [("2", "Bruno"), ("3", "")]) == {
        key: opened[key] for key in ("2", "3")}
    with db.session() as session:
        found = ledger.get_account(session, school.id, kind="reservation.pupil", owner_key="2")
        assert found.id == opened["2"][0]


def test_each_opening_is_in_the_audit_log_as_with_open_account(regie_runtime, school):
    db = regie_runtime.db
    opened = open_many(db, school, [("1", "Alice"), ("2", "Bruno")], actor="back office")
    open_many(db, school, [("1", "Alice"), ("2", "Bruno")], actor="back office")
    with db.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "account.open")
                                 .order_by(AuditEvent.target)).all()
        assert [(event.target, event.actor, event.establishment_id, event.details)
                for event in events] == [
            ("reservation.pupil:1", "back office", school.id,
             {"account": opened["1"][0], "currency": "EUR"}),
            ("reservation.pupil:2", "back office", school.id,
             {"account": opened["2"][0], "currency": "EUR"})]


def test_accounts_opened_at_once_take_entries_like_any_other(regie_runtime, school):
    db = regie_runtime.db
    opened = open_many(db, school, [(str(n), f"Pupil {n}") for n in range(1, 1201)])
    with db.transaction() as session:
        accounts = {account.id: account for account in session.scalars(
            select(LedgerAccount))}
        ledger.post_entries(session, [ledger.Posting(accounts[account_id], -330, "meal")
                                      for account_id, *_rest in opened.values()])
    result = ledger.verify_establishment(db, school.id)
    assert result.ok and result.entries == 1200 and result.accounts == 1200


def test_refuses_a_bad_kind_an_empty_key_and_another_currency(regie_runtime, school):
    db = regie_runtime.db
    with pytest.raises(Invalid) as refused:
        open_many(db, school, [("", "Nobody")], kind="Bad Kind")
    assert set(refused.value.errors) == {"kind", "owner_key"}
    open_many(db, school, [("1", "Alice")])
    with pytest.raises(Invalid, match="EUR"):
        open_many(db, school, [("1", "Alice")], currency="UAH")
    assert open_many(db, school, []) == {}
