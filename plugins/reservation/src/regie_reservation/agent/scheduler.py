"""The agent's loop: each stream at its cadence, the full push once a day before 05:00.

A stream that fails (server unreachable after its retries, back office unreachable, refusal)
logs why and is tried again at its next turn; nothing it had not finished is marked done, so
that turn catches up.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from regie_reservation.agent.client import ServerRefused, ServerUnreachable
from regie_reservation.agent.config import Cadences
from regie_reservation.agent.records import BackOfficeError
from regie_reservation.agent.streams import Outcome, Streams

log = logging.getLogger("regie.canteen.agent")

PERIODIC = ("payments", "reservations", "refresh", "individuals")


def run_stream(streams: Streams, name: str, **arguments) -> Outcome | None:
    """Run one stream; a failure is logged, never raised."""
    try:
        return getattr(streams, name)(**arguments)
    except (ServerUnreachable, BackOfficeError) as exc:
        log.error("%s: failed: %s", name, exc)
    except ServerRefused as exc:
        log.error("%s: refused by the server: %s", name, exc)
    return None


def full_push_due(cadences: Cadences, done: str | None, now: dt.datetime) -> bool:
    """Today's full push has not run and it is between ``full_push_at`` and
    ``full_push_before`` (local time)."""
    local = now.astimezone(cadences.zone)
    return (done != local.date().isoformat()
            and cadences.full_push_at <= local.time() < cadences.full_push_before)


def run_forever(streams: Streams, cadences: Cadences, *, clock: Callable[[], float] =
                time.monotonic, sleep: Callable[[float], None] = time.sleep,
                now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
                keep_going: Callable[[], bool] = lambda: True) -> None:
    every = {"payments": cadences.payments, "reservations": cadences.reservations,
             "refresh": cadences.refresh, "individuals": cadences.individuals}
    due = dict.fromkeys(PERIODIC, clock())
    while keep_going():
        for name in PERIODIC:
            if clock() >= due[name]:
                run_stream(streams, name)
                due[name] = clock() + every[name]
        if full_push_due(cadences, streams.state.get("full.done"), now()):
            run_stream(streams, "individuals")
            run_stream(streams, "full")
        sleep(max(0.5, min(due.values()) - clock()))
