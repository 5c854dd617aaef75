"""coop-balances: a co-op of 10 000 members with 1 000 000 operations; the members' balances
page (first page, sorted by balance, highest first) and one member's statement.

Régie renders both pages through the web app, signed in as the coordinator: the balances page
reads the balance cached on each member (kept equal to the member's core ledger account, entry
by entry), the statement reads the member's operations with a running balance. The baseline
computes the same figures from the raw operations with SQL: the sum per member, sorted, first
page, and the member's operations with a window sum. Each side runs :data:`ROUNDS` rounds of
the two; the ratio compares the best totals, and the p95 of the page times is printed.

Arranging writes the operations and their hash-chained ledger entries in bulk (the chain is
computed as :func:`regie.services.ledger.post_entry` would); ``regie ledger verify`` must find
it intact. ``COOP_BENCH_MEMBERS`` and ``COOP_BENCH_OPERATIONS`` scale it down for a quick try.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time

from sqlalchemy import insert, select, text, update

from benchmarks.instance import Instance
from benchmarks.workloads import BatchWorkload
from regie.db.base import utcnow
from regie.db.models import Establishment
from regie.db.money import LedgerAccount, LedgerEntry, MoneyCounter
from regie.services import establishments, ledger, users
from regie_coop.models import ACCOUNT_KIND, Member, Operation

SLUG = "amap-bench"
MEMBERS = int(os.environ.get("COOP_BENCH_MEMBERS", "10000"))
OPERATIONS = int(os.environ.get("COOP_BENCH_OPERATIONS", "1000000"))
ROUNDS = 50
CHUNK = 20_000
USERNAME = "coordinator"
KINDS = (("order", -1), ("payment", 1), ("refund", -1), ("carry_over", 1), ("membership", -1))


def _accounts(session, place) -> list[tuple[int, int]]:
    """(member id, account id) of :data:`MEMBERS` new members, inserted in bulk."""
    now = utcnow()
    session.execute(insert(Member), [
        {"establishment_id": place.id, "name": f"Member {number:05d}",
         "email": f"m{number}@example.org", "balance": 0, "created_at": now}
        for number in range(MEMBERS)])
    members = list(session.scalars(select(Member.id).where(Member.establishment_id == place.id)
                                   .order_by(Member.id)))
    session.execute(insert(LedgerAccount), [
        {"establishment_id": place.id, "kind": ACCOUNT_KIND, "owner_key": str(member),
         "label": f"Member {member}", "currency": place.currency, "balance": 0}
        for member in members])
    accounts = dict(session.execute(select(LedgerAccount.owner_key, LedgerAccount.id).where(
        LedgerAccount.establishment_id == place.id)).all())
    session.execute(update(Member), [{"id": member, "account_id": accounts[str(member)]}
                                     for member in members])
    return [(member, accounts[str(member)]) for member in members]


def prepare(instance: Instance) -> dict:
    runtime = instance.runtime
    rng = random.Random(4)
    password = "bench-" + "x" * 20
    with runtime.db.transaction() as session:
        place = establishments.create(session, runtime.engine, slug=SLUG, name="AMAP banc")
        establishments.enable_plugin(session, runtime.engine, place, "coop", {})
        coordinator = users.create(session, USERNAME, password)
        users.grant(session, runtime.engine, coordinator, place, "coop.coordinator")
        members = _accounts(session, place)
        place_id, currency = place.id, place.currency
    balances: dict[int, int] = {}
    head, sequence = ledger.GENESIS, 0
    start = utcnow() - dt.timedelta(days=365)
    for first in range(0, OPERATIONS, CHUNK):
        entries, operations = [], []
        for number in range(first, min(first + CHUNK, OPERATIONS)):
            member, account = members[rng.randrange(len(members))]
            kind, sign = KINDS[rng.randrange(len(KINDS))]
            amount = sign * rng.randrange(100, 5000)
            balances[account] = balances.get(account, 0) + amount
            sequence += 1
            moment = start + dt.timedelta(seconds=number * 30)
            entry = LedgerEntry(
                establishment_id=place_id, sequence=sequence, account_id=account,
                amount=amount, currency=currency, balance_after=balances[account],
                kind=f"coop.{kind}", label=kind, payment_id=None, reverses_entry_id=None,
                actor="bench", created_at=moment, previous_hash=head)
            entry.hash = head = ledger.entry_hash(entry)
            entries.append({column: getattr(entry, column) for column in (
                "establishment_id", "sequence", "account_id", "amount", "currency",
                "balance_after", "kind", "label", "payment_id", "reverses_entry_id", "actor",
                "created_at", "previous_hash", "hash")})
            operations.append({"establishment_id": place_id, "member_id": member,
                               "kind": kind, "amount": amount, "label": kind,
                               "payment_type": "", "pending": False, "reference": "",
                               "details": {}, "created_by": "bench", "created_at": moment})
        with runtime.db.transaction() as session:
            session.execute(insert(LedgerEntry), entries)
            session.execute(insert(Operation), operations)
    with runtime.db.transaction() as session:
        session.add(MoneyCounter(establishment_id=place_id, name=ledger.LEDGER_COUNTER,
                                 value=sequence, head=head))
        by_account = {account: member for member, account in members}
        session.execute(update(LedgerAccount), [{"id": account, "balance": balance}
                                                for account, balance in balances.items()])
        session.execute(update(Member), [{"id": by_account[account], "balance": balance}
                                         for account, balance in balances.items()])
    with runtime.db.session() as session:
        result = ledger.verify(session, session.get(Establishment, place_id))
        if not result.ok:
            raise RuntimeError(result.summary())
    busiest = max(members, key=lambda pair: balances.get(pair[1], 0))[0]
    return {"password": password, "member": busiest, "place": place_id, "times": {}}


def _timed(times: list[float], call) -> None:
    started = time.perf_counter()
    call()
    times.append(time.perf_counter() - started)


def _report(side: str, times: list[float]) -> None:
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
    print(f"{side:<9} p95 per page {p95 * 1000:8.1f} ms over {len(times)} pages", flush=True)


def regie(instance: Instance, prepared: dict) -> None:
    from regie.web import create_app

    app = create_app(runtime=instance.runtime)
    client = app.test_client()
    from regie.testing.web import form_fields

    fields = form_fields(client.get("/login").get_data(as_text=True))
    fields.update(username=USERNAME, password=prepared["password"])
    if client.post("/login", data=fields).status_code != 302:
        raise RuntimeError("the coordinator could not sign in")
    pages = (f"/{SLUG}/coop/balances?sort=balance&desc=1",
             f"/{SLUG}/coop/members/{prepared['member']}")
    times: list[float] = []
    for _round in range(ROUNDS):
        for page in pages:
            def get(page=page):
                answer = client.get(page)
                if answer.status_code != 200:
                    raise RuntimeError(f"{page} answered {answer.status_code}")
            _timed(times, get)
    _report("regie", times)


BALANCES_SQL = text("""
    SELECT m.id, m.name, SUM(o.amount) AS balance FROM coop_member m
    JOIN coop_operation o ON o.member_id = m.id AND o.pending = :false
    WHERE m.establishment_id = :place GROUP BY m.id, m.name
    ORDER BY balance DESC, m.id LIMIT 50""")
STATEMENT_SQL = text("""
    SELECT id, kind, label, amount, created_at,
           SUM(amount) OVER (ORDER BY id) AS running FROM coop_operation
    WHERE member_id = :member AND pending = :false ORDER BY id""")


def baseline(instance: Instance, prepared: dict) -> None:
    times: list[float] = []
    with instance.runtime.db.engine.connect() as connection:
        for _round in range(ROUNDS):
            _timed(times, lambda: connection.execute(
                BALANCES_SQL, {"place": prepared["place"], "false": False}).all())
            _timed(times, lambda: connection.execute(
                STATEMENT_SQL, {"member": prepared["member"], "false": False}).all())
    _report("baseline", times)


WORKLOAD = BatchWorkload(
    description="co-op balances page and a member statement, 10 000 members, 1 000 000 "
                "operations, against SQL aggregating the raw operations",
    prepare=prepare,
    regie=regie,
    baseline=baseline,
)
