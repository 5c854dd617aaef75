"""What the agent does on each run of a stream; each run ends with one log line.

- ``payments``: pull the web payments after the cursor, write each into the back office (a
  reference already there is logged with the seed's "existe déjà" line and left alone), then
  move the cursor. A cut run pulls the same payments again and the back office dedupes them.
- ``reservations``: pull the reservations made or cancelled since the last run and write them
  (keyed by their web id, so writing one again changes nothing).
- ``individuals``: push the individuals with a login whose data or balance changed, each with
  its new passages (current month or last 7 days); the balance comes last in each item so the
  hosted side reconciles it after recording the passages.
- ``full``: once a day before 05:00, every individual with a login except the excluded regimes,
  login and balance only.
- ``refresh``: the individuals who just signed in on the web, or whom the school asked for
  ("send this pupil": 90 days of passages), pushed at once whatever the digests say.

An item is remembered (an individual by its digest, a passage by its id: the hosted side never
changes a recorded passage) only once the hosted side has acknowledged it, so a run cut by a
network loss sends the rest next time, and what the server already holds is answered
"unchanged" or "already there" if it comes again. Once every passage of the window is
acknowledged, a fingerprint of the window's ids is kept: a run that reads the same ids knows
that none is new without comparing them one by one.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
import logging
import operator
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs

from regie_reservation.agent.client import Client
from regie_reservation.agent.config import AgentConfig
from regie_reservation.agent.records import (
    BackOffice,
    IndividualRecord,
    PassageRecord,
    PaymentRecord,
    ReservationRecord,
)
from regie_reservation.agent.state import State

log = logging.getLogger("regie.canteen.agent")

REFRESH_DAYS = 90
PAGE = 1000
"""Payments asked for, and individuals pushed, in one request (the hosted side's limits)."""
MAX_ROWS_PER_REQUEST = 20000
"""Passages and individuals together in one push request."""
WINDOW_MARK = "passages.window"
"""The state's fingerprint of the window's passage ids, the last time the hosted side had
acknowledged every one of them: while the ids are the same, none is new."""
FEW_INDIVIDUALS = 500
"""Up to this many, the passages of the individuals are asked for by their ids; beyond, the
whole window is read once."""


@attrs.define
class Outcome:
    stream: str
    counts: dict[str, int] = attrs.Factory(lambda: defaultdict(int))
    seconds: float = 0.0

    def line(self) -> str:
        parts = ", ".join(f"{count} {what}" for what, count in self.counts.items() if count)
        return f"{self.stream}: {parts or 'nothing to do'} ({self.seconds:.2f} s)"


def window_start(today: dt.date) -> dt.date:
    """The passages pushed on periodic runs: the current month, or the last 7 days when the
    month is younger."""
    return min(today.replace(day=1), today - dt.timedelta(days=7))


@functools.lru_cache(maxsize=1 << 16)
def digest(record: Any) -> str:
    """A fingerprint of a record as the back office has it now (its attrs ``repr`` lists every
    field in order), remembered for the records of the last runs."""
    return hashlib.sha1(repr(record).encode(), usedforsecurity=False).hexdigest()


class Streams:
    def __init__(self, config: AgentConfig, backoffice: BackOffice, client: Client,
                 state: State, *, today=dt.date.today) -> None:
        self.config = config
        self.backoffice = backoffice
        self.client = client
        self.state = state
        self.today = today

    def _finish(self, outcome: Outcome, started: float) -> Outcome:
        outcome.seconds = time.monotonic() - started
        for problem in getattr(self.backoffice, "skipped", []):
            log.warning("%s: %s", outcome.stream, problem)
            outcome.counts["back-office rows skipped"] += 1
        if hasattr(self.backoffice, "skipped"):
            self.backoffice.skipped.clear()
        log.info("%s", outcome.line())
        return outcome

    # --- pulls ---------------------------------------------------------------------------

    def payments(self) -> Outcome:
        started, outcome = time.monotonic(), Outcome("payments")
        after = int(self.state.get("payments.after", "0"))
        while True:
            page = self.client.get("payments", after=after, limit=PAGE)
            for item in page["items"]:
                payment = PaymentRecord(
                    reference=item["reference"], receipt=int(item["receipt"]),
                    individual=item["individual"], amount=int(item["amount"]),
                    day=dt.date.fromisoformat(item["day"]), method=item.get("method", ""))
                written = self.backoffice.record_payment(payment)
                if written.status == "exists":
                    log.info("- Un encaissement (num : %s) ayant cette référence (%s) existe "
                             "déjà", written.number, payment.reference)
                    outcome.counts["already there"] += 1
                else:
                    outcome.counts["recorded"] += 1
            self._flush()
            after = int(page["next"])
            self.state.put("payments.after", str(after))
            if not page.get("more"):
                break
        return self._finish(outcome, started)

    def reservations(self) -> Outcome:
        started, outcome = time.monotonic(), Outcome("reservations")
        since = self.state.get("reservations.since")
        page = self.client.get("reservations", since=since)
        for item in page["items"]:
            status = self.backoffice.record_reservation(ReservationRecord(
                web_id=int(item["id"]), individual=item["individual"],
                day=dt.date.fromisoformat(item["day"]), meal=item["meal"],
                cancelled=bool(item["cancelled"])))
            outcome.counts[status] += 1
        self._flush()
        self.state.put("reservations.since", page["until"])
        return self._finish(outcome, started)

    def _flush(self) -> None:
        flush = getattr(self.backoffice, "flush", None)
        if flush is not None:
            flush()

    # --- pushes --------------------------------------------------------------------------

    def individuals(self) -> Outcome:
        """Push what changed since the last acknowledged push."""
        started, outcome = time.monotonic(), Outcome("individuals")
        through, as_of = self.state.get("payments.after", "0"), _now()
        people = [person for person in self.backoffice.individuals() if person.has_login]
        since = window_start(self.today())
        window = self.backoffice.passage_ids(since)
        mark = hashlib.sha256("\n".join(window).encode()).hexdigest()
        acknowledged, waiting = None, None
        if self.state.get(WINDOW_MARK) != mark:
            acknowledged = self.state.keys("passages")
            waiting = set(window) - acknowledged
        items = self._changes(people, since, acknowledged if waiting else None)
        sent = self._push(items, outcome, mode="periodic", through=through, as_of=as_of)
        if waiting is not None and waiting <= sent:
            self.state.put(WINDOW_MARK, mark)
        return self._finish(outcome, started)

    def full(self) -> Outcome:
        """Every individual with a login (but the excluded regimes): login and balance only."""
        started, outcome = time.monotonic(), Outcome("full push")
        through, as_of = self.state.get("payments.after", "0"), _now()
        excluded = {regime.casefold() for regime in self.config.excluded_regimes}
        people = [person for person in self.backoffice.individuals()
                  if person.has_login and person.regime.casefold() not in excluded]
        for batch in _batches([(person, []) for person in people]):
            payload = {"mode": "full", "as_of": as_of, "payments_through": through,
                       "items": [{"external_id": person.external_id, "login": person.login,
                                  "balance": person.balance} for person, _fresh in batch]}
            answer = self.client.post("individuals", payload)
            unknown = []
            for result in answer["results"]:
                outcome.counts[result["status"]] += 1
                if result["status"] == "rejected":
                    log.warning("full push: %s refused: %s", result["key"], result["reason"])
                    unknown.append(result["key"])
            self.state.forget("individuals", unknown)
        self.state.put("full.done", self._local_today().isoformat())
        return self._finish(outcome, started)

    def refresh(self) -> Outcome:
        """Push at once the individuals the web asks for (sign-ins, "send this pupil")."""
        started, outcome = time.monotonic(), Outcome("refresh")
        page = self.client.get("refresh", since=self.state.get("refresh.since"))
        self._send({item["individual"]: int(item["days"]) for item in page["items"]}, outcome)
        self.state.put("refresh.since", page["until"])
        return self._finish(outcome, started)

    def send_pupils(self, ids: Iterable[str]) -> Outcome:
        """The back office's "send this pupil": 90 days of passages."""
        started, outcome = time.monotonic(), Outcome("send")
        self._send(dict.fromkeys(ids, REFRESH_DAYS), outcome)
        return self._finish(outcome, started)

    def _send(self, days: dict[str, int], outcome: Outcome) -> None:
        """Push these individuals whatever the digests say, with their passages of the window
        or of their number of days, whichever is longer."""
        if not days:
            return
        through, as_of, today = self.state.get("payments.after", "0"), _now(), self.today()
        first = {key: min(window_start(today), today - dt.timedelta(days=count))
                 for key, count in days.items()}
        people = self.backoffice.individuals(set(days))
        for missing in sorted(set(days) - {person.external_id for person in people}):
            log.warning("%s: %s is not in the back office", outcome.stream, missing)
            outcome.counts["not in the back office"] += 1
        passages = self._passages_by_individual(min(first.values()), set(days))
        items = [(person, [p for p in passages.get(person.external_id, ())
                           if p.day >= first[person.external_id]]) for person in people]
        self._push(items, outcome, mode="refresh", through=through, as_of=as_of)

    def _changes(self, people: list[IndividualRecord], since: dt.date,
                 acknowledged: set[str] | None
                 ) -> Iterator[tuple[IndividualRecord, list[PassageRecord]]]:
        """The individuals to push, with their passages since ``since`` that the hosted side
        has not acknowledged (it never changes a recorded passage, so only new ones matter):
        first those with such passages, as the window is read (not at all without
        ``acknowledged``: every passage is), then those whose data alone changed."""
        pending = {person.external_id: person for person in people}
        if acknowledged is not None:
            for individual, rows in itertools.groupby(self.backoffice.window(since),
                                                      key=operator.attrgetter("individual")):
                fresh = [p for p in rows if p.external_id not in acknowledged]
                if fresh and individual in pending:
                    yield pending.pop(individual), fresh
        known = self.state.digests("individuals")
        for person in pending.values():
            if known.get(person.external_id) != digest(person):
                yield person, []

    def _passages_by_individual(self, since: dt.date,
                                wanted: set[str]) -> dict[str, list[PassageRecord]]:
        grouped: dict[str, list[PassageRecord]] = defaultdict(list)
        for passage in self.backoffice.passages(
                since, wanted if len(wanted) <= FEW_INDIVIDUALS else None):
            if passage.individual in wanted:
                grouped[passage.individual].append(passage)
        return grouped

    def _push(self, items: Iterable[tuple[IndividualRecord, list[PassageRecord]]],
              outcome: Outcome, *, mode: str, through: str, as_of: str) -> set[str]:
        """Send ``items``; the ids of the passages the hosted side acknowledged. ``through``
        (the payment cursor) and ``as_of`` were taken before the balances were read, so the
        server knows which web payments they may include.

        One request is in flight at a time, in order; the next one is read (``items`` may
        be a generator reading the back office) and prepared while the hosted side applies
        the current one, and sent once its answer is in."""
        acknowledged: set[str] = set()
        batches = _batches(items)
        batch = next(batches, None)
        if batch is None:
            return acknowledged
        with ThreadPoolExecutor(max_workers=1) as sender:
            in_flight = sender.submit(self.client.post, "individuals",
                                      _payload(batch, mode, through, as_of))
            while batch is not None:
                following = next(batches, None)
                payload = (_payload(following, mode, through, as_of)
                           if following is not None else None)
                answer = in_flight.result()
                if following is not None:
                    in_flight = sender.submit(self.client.post, "individuals", payload)
                acknowledged.update(self._acknowledge(batch, answer, outcome))
                batch = following
        return acknowledged

    def _acknowledge(self, batch: list[tuple[IndividualRecord, list[PassageRecord]]],
                     answer: dict[str, Any], outcome: Outcome) -> list[str]:
        results = {result["key"]: result for result in answer["results"]}
        people, passages = [], []
        for person, fresh in batch:
            result = results.get(person.external_id, {"status": "rejected",
                                                      "reason": "no answer"})
            outcome.counts[result["status"]] += 1
            if result["status"] == "rejected":
                log.warning("%s: %s refused: %s", outcome.stream, person.external_id,
                            result.get("reason", ""))
                continue
            outcome.counts["passages recorded"] += result.get("passages_recorded", 0)
            outcome.counts["passages already there"] += result.get("passages_known", 0)
            if result.get("adjustment"):
                outcome.counts["balances adjusted"] += 1
            people.append((person.external_id, digest(person)))
            passages.extend(p.external_id for p in fresh)
        self.state.acknowledge("individuals", people)
        self.state.acknowledge("passages", [(key, "") for key in passages])
        return passages

    def _local_today(self) -> dt.date:
        return dt.datetime.now(self.config.cadences.zone).date()


def _payload(batch: list[tuple[IndividualRecord, list[PassageRecord]]], mode: str,
             through: str, as_of: str) -> dict[str, Any]:
    return {"mode": mode, "as_of": as_of, "payments_through": through,
            "items": [_item(person, fresh) for person, fresh in batch]}


def _item(person: IndividualRecord, passages: Iterable[PassageRecord]) -> dict[str, Any]:
    item = attrs.asdict(person)
    item["passages"] = [{"external_id": p.external_id, "day": p.day.isoformat(),
                         "meal": p.meal, "price": p.price} for p in passages]
    return item


def _batches(items: Iterable[tuple[IndividualRecord, list[PassageRecord]]]
             ) -> Iterator[list[tuple[IndividualRecord, list[PassageRecord]]]]:
    batch, rows = [], 0
    for person, fresh in items:
        size = 1 + len(fresh)
        if batch and (rows + size > MAX_ROWS_PER_REQUEST or len(batch) >= PAGE):
            yield batch
            batch, rows = [], 0
        batch.append((person, fresh))
        rows += size
    if batch:
        yield batch


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
