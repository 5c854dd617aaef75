"""The ``ipn`` benchmark's requests, sent through test clients: Régie and the baseline accept
them, and second deliveries move no money. (Speed is the benchmark's business, not a test's.)"""

from __future__ import annotations

from sqlalchemy import func, select

from benchmarks.baselines import ipn as baseline
from benchmarks.workloads import ipn
from regie.db.money import LedgerAccount, Payment

COUNT = 12


def deliver_all(client, paths: list[str]) -> None:
    for path in paths:
        response = client.get(path)
        assert (response.status_code, response.data) == (200, b""), response.data[:300]


def test_every_payment_succeeds_once_and_the_checks_hold(regie_runtime, client):
    establishment_id = ipn.arrange(regie_runtime)
    pending = ipn.new_payments(regie_runtime, establishment_id, batch=1, count=COUNT)
    paths = ipn.deliveries(pending, batch=1)
    assert len(paths) == COUNT + COUNT // ipn.FIRST_PER_SECOND
    assert len(set(paths)) == COUNT, "the extra requests repeat earlier notifications"

    deliver_all(client, paths)

    with regie_runtime.db.session() as session:
        states = set(session.scalars(select(Payment.state)
                                     .where(Payment.establishment_id == establishment_id)))
        balances = session.scalar(select(func.sum(LedgerAccount.balance))
                                  .where(LedgerAccount.establishment_id == establishment_id))
    assert states == {"succeeded"}
    assert balances == sum(amount for _reference, _owner, amount in pending)
    checks = ipn.regie_checks(regie_runtime, establishment_id)
    assert all(held for _what, held in checks), checks


def test_the_checks_see_a_notification_that_was_not_applied(regie_runtime, client):
    establishment_id = ipn.arrange(regie_runtime)
    pending = ipn.new_payments(regie_runtime, establishment_id, batch=1, count=4)
    paths = ipn.deliveries(pending, batch=1)
    forged = paths[0].replace("Mt=", "Mt=1", 1)

    deliver_all(client, [forged, *paths[1:]])

    checks = dict(ipn.regie_checks(regie_runtime, establishment_id))
    assert not all(checks.values())


def test_the_baseline_records_each_payment_once(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'baseline.db'}"
    pending = [(f"REF-{number}", f"pupil-{number % 3}", 1000 + number) for number in range(COUNT)]
    baseline.add_orders(url, pending)
    monkeypatch.setenv("BENCH_DATABASE_URL", url)
    paths = ipn.deliveries(pending, batch=1)

    deliver_all(baseline.create_app().test_client(), paths)

    total = sum(amount for _reference, _owner, amount in pending)
    assert baseline.totals(url) == {"payments": COUNT, "references": COUNT, "entries": COUNT,
                                    "entries_total": total, "balances_total": total}
    assert all(held for _what, held in ipn.baseline_checks(url))
