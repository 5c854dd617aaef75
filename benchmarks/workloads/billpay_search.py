"""billpay-search: finding a subscriber among 200 000 accounts, as a cashier does, by a partial
street (with the house, and sometimes the apartment) or by the beginning of a surname.

Régie runs the cashier's search (:func:`regie_billpay.search.find`, what the "New bill" page
calls: establishment, city, byte-wise prefix ranges on the search keys, ordered, first 51),
:data:`QUERIES` partial searches then as many exact lookups by personal account number through
the same function; the quotient of their p95 is the target (at most 3): it shows the partial
search uses its index as well as the exact one uses the unique key. The baseline is the
cheapest lookup there is, the exact account number in plain SQL; its p95 is printed too.

Meant for PostgreSQL (``--database postgres``); ``BILLPAY_BENCH_ACCOUNTS`` scales it down.
"""

from __future__ import annotations

import os
import random
import statistics
import time

from sqlalchemy import insert, text

from benchmarks.instance import Instance
from benchmarks.workloads import BatchWorkload
from regie.db.models import Establishment
from regie.services import establishments
from regie_billpay.demo import STREETS, SURNAMES
from regie_billpay.models import City, Subscriber, search_key
from regie_billpay.search import Criteria, address_part, find, street_key

SLUG = "billpay-bench"
ACCOUNTS = int(os.environ.get("BILLPAY_BENCH_ACCOUNTS", "200000"))
QUERIES = 2000
CHUNK = 20_000
EXTRA_STREETS = tuple(f"вул. {name} {number}" for number in range(1, 11) for name in (
    "Садова", "Лугова", "Зарічна", "Молодіжна", "Шкільна", "Польова", "Набережна", "Нова"))


def prepare(instance: Instance) -> dict:
    runtime = instance.runtime
    rng = random.Random(6)
    streets = STREETS + EXTRA_STREETS
    with runtime.db.transaction() as session:
        place = establishments.create(session, runtime.engine, slug=SLUG, name="Кременчук",
                                      locale="uk", currency="UAH")
        establishments.enable_plugin(session, runtime.engine, place, "billpay", {})
        city = City(establishment_id=place.id, code="KRM", name="Кременчук")
        session.add(city)
        session.flush()
        place_id, city_id = place.id, city.id
    accounts = []
    for first in range(0, ACCOUNTS, CHUNK):
        rows = []
        for number in range(first, min(first + CHUNK, ACCOUNTS)):
            street, surname = streets[number % len(streets)], rng.choice(SURNAMES)
            account = str(1_000_000 + number * 3)
            rows.append({"establishment_id": place_id, "city_id": city_id,
                         "account_number": account, "surname": surname, "street": street,
                         "house": address_part(str(rng.randrange(1, 90))),
                         "apartment": address_part(str(rng.randrange(1, 150))),
                         "street_key": street_key(street), "surname_key": search_key(surname)})
            accounts.append((account, street, rows[-1]["house"], rows[-1]["apartment"],
                             surname))
        with runtime.db.transaction() as session:
            session.execute(insert(Subscriber), rows)
    if instance.database == "postgres":
        with runtime.db.engine.begin() as connection:
            connection.execute(text("ANALYZE billpay_subscriber"))
    picked = [accounts[rng.randrange(len(accounts))] for _ in range(QUERIES)]
    partial = []
    for index, (_account, street, house, apartment, surname) in enumerate(picked):
        words = street.removeprefix("вул. ").split()
        shown = " ".join(words[:2]) if len(words) > 2 else words[0][:5]
        if index % 3 == 0:
            partial.append(Criteria(city_id, street=shown, house=house))
        elif index % 3 == 1:
            partial.append(Criteria(city_id, street=shown, house=house, apartment=apartment))
        else:
            partial.append(Criteria(city_id, surname=surname[:4], street=shown, house=house))
    return {"place": place_id, "city": city_id, "exact": [p[0] for p in picked],
            "partial": partial, "p95": {}}


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


def _timed_searches(session, place, searches: list[Criteria]) -> tuple[list[float], int]:
    times, found = [], 0
    for criteria in searches:
        started = time.perf_counter()
        found += len(find(session, place, criteria))
        times.append(time.perf_counter() - started)
    return times, found


def regie(instance: Instance, prepared: dict) -> None:
    """The partial searches, and the exact lookups through the same search function, so the
    quotient of their p95 measures the index rather than the cost of the function itself."""
    with instance.runtime.db.session() as session:
        place = session.get(Establishment, prepared["place"])
        times, found = _timed_searches(session, place, prepared["partial"])
        exact = [Criteria(prepared["city"], account=account) for account in prepared["exact"]]
        exact_times, exact_found = _timed_searches(session, place, exact)
    if not found or exact_found != len(exact):
        raise RuntimeError("the searches did not find the accounts")
    prepared["p95"]["regie"] = _p95(times)
    prepared["p95"]["regie_exact"] = _p95(exact_times)
    prepared["median"] = {"partial": statistics.median(times),
                          "exact": statistics.median(exact_times)}
    _report(prepared)


EXACT_SQL = text("""
    SELECT id, account_number, surname, street, house, apartment FROM billpay_subscriber
    WHERE establishment_id = :place AND city_id = :city AND account_number = :account""")


def baseline(instance: Instance, prepared: dict) -> None:
    times = []
    with instance.runtime.db.engine.connect() as connection:
        for account in prepared["exact"]:
            started = time.perf_counter()
            rows = connection.execute(EXACT_SQL, {"place": prepared["place"],
                                                  "city": prepared["city"],
                                                  "account": account}).all()
            times.append(time.perf_counter() - started)
            if len(rows) != 1:
                raise RuntimeError(f"account {account}: {len(rows)} rows")
    prepared["p95"]["baseline"] = _p95(times)
    _report(prepared)


def _report(prepared: dict) -> None:
    p95 = prepared["p95"]
    if "regie" in p95 and "baseline" in p95:
        print(f"p95: partial search {p95['regie'] * 1000:.2f} ms, exact lookup through the "
              f"same search {p95['regie_exact'] * 1000:.2f} ms, partial/exact "
              f"{p95['regie'] / p95['regie_exact']:.2f} (target <= 3); exact lookup in raw SQL "
              f"{p95['baseline'] * 1000:.2f} ms", flush=True)
        median = prepared["median"]
        print(f"median (less shaken by the machine's load): partial search "
              f"{median['partial'] * 1000:.2f} ms, exact lookup through the same search "
              f"{median['exact'] * 1000:.2f} ms", flush=True)


WORKLOAD = BatchWorkload(
    description=f"cashier's search by partial street / surname prefix over {ACCOUNTS} accounts "
                "against the exact account lookup on the same table",
    prepare=prepare,
    regie=regie,
    baseline=baseline,
)
