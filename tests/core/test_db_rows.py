"""Objects built from plain rows (regie.db.rows) behave like objects the ORM loaded: the
payment a notification locks is read this way. Re-run after upgrading SQLAlchemy."""

from __future__ import annotations

from sqlalchemy import select

from regie.db.models import Establishment
from regie.db.money import Payment
from regie.db.rows import loaded_columns, mark_written, persistent
from regie.services import ledger
from regie.services.payments import create_payment

COLUMNS = loaded_columns(Payment)
READ = select(*(column for _name, column in COLUMNS))


def _payment(runtime, make_establishment) -> int:
    created = make_establishment(slug="ecole")
    with runtime.db.transaction() as session:
        establishment = session.get(Establishment, created.id)
        account = ledger.open_account(session, establishment, kind="test.pupil", owner_key="1")
        return create_payment(session, runtime, establishment, account=account, amount=700,
                              method="cash", reference="R-1").id


def test_an_object_from_a_row_saves_its_changes_and_lazy_loads(regie_runtime, make_establishment):
    payment_id = _payment(regie_runtime, make_establishment)
    with regie_runtime.db.transaction() as session:
        row = session.connection().execute(READ.where(Payment.id == payment_id)).one()
        payment = persistent(session, Payment, COLUMNS, row)
        assert not session.new and not session.dirty
        assert session.get(Payment, payment_id) is payment, "in the identity map"
        assert payment.account.balance == 0, "relationships load lazily"
        payment.note = "checked"
    with regie_runtime.db.session() as session:
        assert session.get(Payment, payment_id).note == "checked"


def test_refresh_gives_a_held_object_the_values_read(regie_runtime, make_establishment):
    payment_id = _payment(regie_runtime, make_establishment)
    with regie_runtime.db.session() as session:
        held = session.get(Payment, payment_id)
        with regie_runtime.db.transaction() as other:
            other.get(Payment, payment_id).note = "changed elsewhere"
        session.commit()  # a new transaction sees the change; ``held`` keeps its old values
        row = session.connection().execute(READ.where(Payment.id == payment_id)).one()
        assert persistent(session, Payment, COLUMNS, row) is held
        assert held.note == "", "kept as it is without refresh"
        assert persistent(session, Payment, COLUMNS, row, refresh=True) is held
        assert held.note == "changed elsewhere"
        assert not session.dirty


def test_changes_marked_written_are_not_flushed(regie_runtime, make_establishment):
    payment_id = _payment(regie_runtime, make_establishment)
    with regie_runtime.db.transaction() as session:
        payment = session.get(Payment, payment_id)
        payment.note = "written by the caller"
        assert mark_written(payment) == {"note": "written by the caller"}
        assert not session.dirty
        assert payment.note == "written by the caller"
    with regie_runtime.db.session() as session:
        assert session.get(Payment, payment_id).note == "", "nothing flushed it"
