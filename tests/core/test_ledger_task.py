"""The nightly ledger check: a scheduled task per establishment, its result in the audit log and
in the task's last run."""

from sqlalchemy import select, text

from regie.db.models import AuditEvent, Establishment, TaskRun
from regie.services import ledger
from regie.tasks import runner


def test_the_nightly_check_records_an_intact_ledger_and_fails_on_a_broken_one(
        regie_runtime, make_establishment):
    school = make_establishment(slug="ecole")
    make_establishment(slug="autre")
    with regie_runtime.db.transaction() as session:
        account = ledger.open_account(session, session.get(Establishment, school.id),
                                      kind="k", owner_key="1")
        entries = [ledger.post_entry(session, account, amount, kind="charge")
                   for amount in (-100, -200)]
    outcomes = runner.run_now(regie_runtime, "core.ledger_verify")
    assert {(o.scope, o.status) for o in outcomes} == {("ecole", "succeeded"),
                                                      ("autre", "succeeded")}
    with regie_runtime.db.session() as session:
        recorded = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "ledger.verify", AuditEvent.establishment_id == school.id))
        assert [event.details["entries"] for event in recorded] == [2]

    with regie_runtime.db.engine.begin() as connection:
        connection.execute(text("UPDATE ledger_entry SET amount = -1 WHERE id = :id"),
                           {"id": entries[1].id})
    [broken] = runner.run_now(regie_runtime, "core.ledger_verify", "ecole")
    assert broken.status == "failed" and "entry 2" in broken.error
    assert runner.run_now(regie_runtime, "core.ledger_verify", "autre")[0].status == "succeeded"
    with regie_runtime.db.session() as session:
        run = session.scalar(select(TaskRun).where(TaskRun.task == "core.ledger_verify",
                                                   TaskRun.scope == "ecole"))
        assert run.state == "failed" and "entry 2" in run.last_error
        last = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "ledger.verify", AuditEvent.establishment_id == school.id)
            .order_by(AuditEvent.id.desc())).first()
        assert last.details["ok"] is False and "entry 2" in last.details["first_problem"]
