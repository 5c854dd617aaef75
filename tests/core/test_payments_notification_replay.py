"""A notification is stored and applied in one transaction; when applying it fails, the raw
notification is still kept, applied again at once, and, while it keeps failing, by the next
delivery of the same event or by ``apply_received``."""

import pytest
from sqlalchemy import func, select

from regie.db.models import Establishment
from regie.db.money import LedgerEntry, Payment, PaymentNotification
from regie.runtime import Runtime
from regie.services import ledger, payments, payments_notifications
from regie.services.payments_notifications import (
    apply_received,
    apply_received_task,
    receive_notification,
)
from regie.testing.payments import FAKE_METHOD, FakeAdapter, engine_with_fake_method


@pytest.fixture(scope="module")
def fake_engine():
    return engine_with_fake_method()


@pytest.fixture
def regie_runtime(regie_config, fake_engine):
    runtime = Runtime(regie_config, engine=fake_engine)
    yield runtime
    runtime.close()


@pytest.fixture
def school(make_establishment):
    return make_establishment(slug="ecole-replay", name="École")


@pytest.fixture
def pending(regie_runtime, school):
    with regie_runtime.db.transaction() as session:
        place = session.get(Establishment, school.id)
        account = ledger.open_account(session, place, kind="test.pupil", owner_key="42")
        payment = payments.create_payment(session, regie_runtime, place, account=account,
                                          amount=1250, method=FAKE_METHOD)
        return payments.payment_view(payment)


@pytest.fixture
def failing(monkeypatch):
    """``failing(times)``: applying a notification raises ``times`` times, then works."""
    real = payments_notifications._settle

    def make(times: int):
        left = [times]

        def settle(*args, **kwargs):
            if left[0] > 0:
                left[0] -= 1
                raise RuntimeError("database connection lost")
            return real(*args, **kwargs)

        monkeypatch.setattr(payments_notifications, "_settle", settle)

    return make


def stored(runtime, school):
    with runtime.db.session() as session:
        return [(row.status, row.query_string) for row in session.scalars(
            select(PaymentNotification).where(PaymentNotification.establishment_id == school.id))]


def credited(runtime, payment):
    with runtime.db.session() as session:
        entries = session.scalar(select(func.count()).select_from(LedgerEntry).where(
            LedgerEntry.payment_id == payment.id))
        return session.get(Payment, payment.id).state, entries


def test_a_failure_while_applying_keeps_the_notification_and_applies_it_again(
        regie_runtime, school, pending, failing, caplog):
    failing(1)
    raw = FakeAdapter().notification(pending, "succeeded")
    result = receive_notification(regie_runtime, school.id, FAKE_METHOD, raw)
    assert (result.status, result.payment_state) == ("applied", "succeeded")
    assert stored(regie_runtime, school) == [("applied", raw.query_string)]
    assert credited(regie_runtime, pending) == ("succeeded", 1)
    assert any("database connection lost" in record.exc_text for record in caplog.records
               if record.exc_text)
    assert receive_notification(regie_runtime, school.id, FAKE_METHOD, raw).status == "duplicate"
    assert ledger.verify_establishment(regie_runtime.db, school.id).ok


def test_a_notification_that_keeps_failing_is_kept_raw_until_the_next_delivery(
        regie_runtime, school, pending, failing):
    failing(2)
    raw = FakeAdapter().notification(pending, "succeeded")
    with pytest.raises(RuntimeError, match="connection lost"):
        receive_notification(regie_runtime, school.id, FAKE_METHOD, raw)
    assert stored(regie_runtime, school) == [("received", raw.query_string)]
    assert credited(regie_runtime, pending) == ("pending", 0)
    again = receive_notification(regie_runtime, school.id, FAKE_METHOD, raw)
    assert (again.status, again.payment_state) == ("applied", "succeeded")
    assert stored(regie_runtime, school) == [("applied", raw.query_string)]
    assert credited(regie_runtime, pending) == ("succeeded", 1)
    assert apply_received(regie_runtime, school.id) == []


def test_apply_received_applies_what_no_delivery_came_back_for(regie_runtime, school, pending,
                                                               failing):
    failing(2)
    raw = FakeAdapter().notification(pending, "succeeded")
    with pytest.raises(RuntimeError):
        receive_notification(regie_runtime, school.id, FAKE_METHOD, raw)
    [result] = apply_received(regie_runtime, school.id)
    assert (result.status, result.payment_id) == ("applied", pending.id)
    assert credited(regie_runtime, pending) == ("succeeded", 1)
    assert apply_received(regie_runtime, school.id) == []
    assert receive_notification(regie_runtime, school.id, FAKE_METHOD, raw).status == "duplicate"


def test_the_scheduled_task_applies_stored_notifications(regie_runtime, school, pending,
                                                         failing):
    from regie.tasks.context import TaskContext

    failing(2)
    raw = FakeAdapter().notification(pending, "succeeded")
    with pytest.raises(RuntimeError):
        receive_notification(regie_runtime, school.id, FAKE_METHOD, raw)
    with regie_runtime.db.session() as session:
        place = session.get(Establishment, school.id)
    assert "core.payments_replay" in {task.name for task in regie_runtime.engine.items(
        "regie_scheduled_tasks")}
    apply_received_task(TaskContext(runtime=regie_runtime, task="core.payments_replay",
                                    establishment=place))
    assert stored(regie_runtime, school) == [("applied", raw.query_string)]
    assert credited(regie_runtime, pending) == ("succeeded", 1)
