"""ipn: Paybox payment notifications (IPN), signed, one per pending payment, 20 % sent twice.

Each run gets its own batch of pending Paybox payments, created through the core on pupils'
ledger accounts, and loads the servers with their notifications: the success (``00000``) of
each payment as Paybox sends it to ``PBX_REPONDRE_A`` (a GET whose query string is signed with
the TestK004 key, which Régie accepts in test mode), and after every fourth one a second
delivery of one of the last notifications, as Paybox does when it retries. Each path is sent
once; a run ends when its time is up or its notifications are all sent.

Régie verifies the signature, stores the raw notification under its event key (a second
delivery stops there), then under row locks checks amount and merchant, credits the account
through the establishment's hash-chained ledger, numbers the receipt and records the audit
trail. The baseline (:mod:`benchmarks.baselines.ipn`) verifies the same signature and inserts
a payment and a ledger entry and updates a balance in one transaction, a unique reference
making the second delivery a no-op.

After the runs, the checks: every notification Régie received was applied, no payment was
credited twice, ``regie ledger verify`` finds the ledger intact, and the baseline's own
figures add up.

Target (issue 3, on PostgreSQL at 16 connections): throughput at least half the baseline's,
p99 at most twice the baseline's, every check holding.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterable
from urllib.parse import quote

from sqlalchemy import func, select

from benchmarks.baselines import ipn as baseline
from benchmarks.instance import Instance
from benchmarks.workloads import HttpWorkload, Request
from regie.db.models import Establishment
from regie.db.money import LedgerEntry, Payment, PaymentNotification
from regie.services import establishments, ledger
from regie.services.payments import create_payment
from regie_paybox.protocol import key_file, sign_response

SLUG = "ecole-bench"
#: The public test account of PROTOCOL.md, in test mode (TestK004 signatures accepted).
PAYBOX_SETTINGS = {"environment": "test", "site": "1999888", "rang": "32",
                   "identifiant": "107904482", "hmac_key": "0123456789ABCDEF" * 8}
IPN_PATH = f"/callbacks/{SLUG}/payments_paybox/ipn"
ACCOUNT_KIND = "bench.pupil"
ACCOUNTS = 200
#: Pending payments per run, each notified once (plus the second deliveries): more than
#: either side answers in a run of the default length on this kind of machine.
PAYMENTS_PER_RUN = 8000
#: One second delivery after every fourth first delivery: 20 % of the requests.
FIRST_PER_SECOND = 4
#: A second delivery repeats one of the last notifications sent, this many back at most.
RETRY_WINDOW = 200
#: Payments created per transaction while arranging.
CHUNK = 500

Pending = tuple[str, str, int]  # reference, account owner key, amount


def arrange(runtime) -> int:
    """The establishment with Paybox on in test mode and its pupils' accounts; its id."""
    with runtime.db.transaction() as session:
        establishment = establishments.create(session, runtime.engine, slug=SLUG,
                                              name="École de banc d'essai")
        establishments.enable_plugin(session, runtime.engine, establishment, "payments_paybox",
                                     PAYBOX_SETTINGS)
        for number in range(ACCOUNTS):
            ledger.open_account(session, establishment, kind=ACCOUNT_KIND,
                                owner_key=f"pupil-{number}")
        return establishment.id


def new_payments(runtime, establishment_id: int, batch: int, count: int,
                 seed: int = 0) -> list[Pending]:
    """``count`` pending Paybox payments created through the core, spread over the accounts,
    with references unique to ``batch``."""
    rng = random.Random(f"{seed}-{batch}")
    created: list[Pending] = []
    for start in range(0, count, CHUNK):
        with runtime.db.transaction() as session:
            place = session.get(Establishment, establishment_id)
            for number in range(start, min(start + CHUNK, count)):
                owner = f"pupil-{rng.randrange(ACCOUNTS)}"
                account = ledger.get_account(session, place, kind=ACCOUNT_KIND, owner_key=owner)
                payment = create_payment(
                    session, runtime, place, account=account, amount=rng.randrange(500, 25_000),
                    method="paybox", reference=f"CANTINE-{batch:02d}-{number:05d}",
                    payer_email=f"{owner}@example.org", description="Cantine")
                created.append((payment.reference, owner, payment.amount))
    return created


def ipn_query(reference: str, amount: int, transaction: str, private_key: bytes) -> str:
    """The query string of the success notification Paybox sends for a payment (the
    variables of Régie's ``PBX_RETOUR``, signature last)."""
    signed = "&".join(f"{name}={quote(value, safe='')}" for name, value in (
        ("Mt", str(amount)), ("Ref", reference), ("Auto", "XXXXXX"), ("Erreur", "00000"),
        ("Trans", transaction), ("Appel", str(int(transaction) + 1))))
    return f"{signed}&Sign={sign_response(signed, private_key)}"


def deliveries(pending: Iterable[Pending], batch: int, seed: int = 0) -> list[str]:
    """IPN paths for ``pending``: each payment's notification once, in order, and after
    every :data:`FIRST_PER_SECOND` of them a second delivery of a recent one."""
    rng = random.Random(f"{seed}-{batch}-deliveries")
    private_key = key_file("TestK004.prv.pem")
    first: list[str] = []
    paths: list[str] = []
    for number, (reference, _owner, amount) in enumerate(pending):
        query = ipn_query(reference, amount, f"{batch:02d}{2 * number:08d}", private_key)
        first.append(f"{IPN_PATH}?{query}")
        paths.append(first[-1])
        if len(first) % FIRST_PER_SECOND == 0:
            paths.append(first[rng.randrange(max(0, len(first) - RETRY_WINDOW), len(first))])
    return paths


def regie_checks(runtime, establishment_id: int) -> list[tuple[str, bool]]:
    """What must hold in Régie after any number of deliveries, in a new session."""
    with runtime.db.session() as session:
        statuses = dict(session.execute(
            select(PaymentNotification.status, func.count())
            .where(PaymentNotification.establishment_id == establishment_id)
            .group_by(PaymentNotification.status)).all())
        states = dict(session.execute(
            select(Payment.state, func.count()).where(Payment.establishment_id == establishment_id)
            .group_by(Payment.state)).all())
        credited = session.execute(
            select(LedgerEntry.payment_id, func.count()).where(
                LedgerEntry.establishment_id == establishment_id,
                LedgerEntry.payment_id.is_not(None))
            .group_by(LedgerEntry.payment_id)).all()
        notified = session.scalar(
            select(func.count(PaymentNotification.payment_id.distinct())).where(
                PaymentNotification.establishment_id == establishment_id))
    verification = ledger.verify_establishment(runtime.db, establishment_id)
    succeeded = states.get("succeeded", 0)
    applied = statuses.get("applied", 0)
    return [
        (f"notifications stored once each and all applied: {statuses}",
         applied > 0 and set(statuses) == {"applied"}),
        (f"payments: {states}; each one notified succeeded once ({notified} notified, "
         f"{succeeded} succeeded)",
         notified == succeeded == applied and set(states) <= {"pending", "succeeded"}),
        (f"no payment credited twice ({len(credited)} credited, "
         f"{max((count for _id, count in credited), default=0)} entries at most per payment)",
         len(credited) == succeeded and all(count == 1 for _id, count in credited)),
        (f"regie ledger verify: {verification.entries} entries on {verification.accounts} "
         f"accounts, {len(verification.problems)} problems"
         + "".join(f"; {problem}" for problem in verification.problems[:3]),
         verification.ok),
    ]


def baseline_checks(url: str) -> list[tuple[str, bool]]:
    figures = baseline.totals(url)
    return [(f"baseline: {figures['payments']} payments, one per reference, one entry each, "
             f"balances add up ({figures['entries_total']} = {figures['balances_total']})",
             figures["payments"] > 0
             and figures["payments"] == figures["references"] == figures["entries"]
             and figures["entries_total"] == figures["balances_total"])]


def prepare(instance: Instance) -> Callable[[str], Request]:
    runtime = instance.runtime
    establishment_id = arrange(runtime)
    batches = itertools.count(1)

    def request(_base: str) -> Request:
        """A new batch of pending payments, in Régie and in the baseline's tables, and their
        notifications: what one run of each side sends."""
        batch = next(batches)
        pending = new_payments(runtime, establishment_id, batch, PAYMENTS_PER_RUN)
        baseline.add_orders(instance.database_url, pending)
        return Request(IPN_PATH, expect="", paths=tuple(deliveries(pending, batch)))

    return request


def check(instance: Instance) -> list[tuple[str, bool]]:
    with instance.runtime.db.session() as session:
        establishment_id = session.scalar(select(Establishment.id)
                                          .where(Establishment.slug == SLUG))
    return (regie_checks(instance.runtime, establishment_id)
            + baseline_checks(instance.database_url))


WORKLOAD = HttpWorkload(
    description="signed Paybox IPNs confirming pending payments, 20 % delivered twice",
    prepare=prepare,
    baseline="benchmarks.baselines.ipn:create_app()",
    check=check,
    concurrency=16,
)
