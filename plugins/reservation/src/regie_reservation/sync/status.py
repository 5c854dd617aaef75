"""The state of each sync stream for the school: last success, and whether it is late.

A stream is late when its last success is older than twice its cadence plus a minute of
slack (payments and reservations: 3 minutes; individuals and passages: 4 hours and a minute),
or when it never succeeded.
"""

from __future__ import annotations

import datetime as dt

import attrs
from sqlalchemy.orm import Session

from regie.api import Establishment, last_syncs, utcnow
from regie.api import lazy_gettext as _l

PREFIX = "reservation."
CADENCES: dict[str, dt.timedelta] = {
    "payments": dt.timedelta(minutes=1),
    "reservations": dt.timedelta(minutes=1),
    "individuals": dt.timedelta(hours=2),
    "passages": dt.timedelta(hours=2),
}
LABELS = {
    "payments": _l("Web payments pulled by the back office"),
    "reservations": _l("Reservations pulled by the back office"),
    "individuals": _l("Individuals and balances pushed"),
    "passages": _l("Passages pushed"),
}
SLACK = dt.timedelta(minutes=1)


@attrs.frozen
class StreamStatus:
    stream: str
    label: str
    cadence: dt.timedelta
    last_success_at: dt.datetime | None
    last_state: str | None
    last_message: str
    late: bool

    @property
    def source(self) -> str:
        return PREFIX + self.stream


def stream_status(session: Session, establishment: Establishment, *,
                  now: dt.datetime | None = None) -> list[StreamStatus]:
    """Every stream, in a fixed order, with its last run and whether it is late."""
    now = now or utcnow()
    runs = last_syncs(session, establishment)
    statuses = []
    for stream, cadence in CADENCES.items():
        status = runs.get(PREFIX + stream)
        success = status.last_success_at if status is not None else None
        statuses.append(StreamStatus(
            stream=stream, label=str(LABELS[stream]), cadence=cadence,
            last_success_at=success,
            last_state=status.last.state if status is not None else None,
            last_message=status.last.message if status is not None else "",
            late=success is None or now - success > 2 * cadence + SLACK))
    return statuses


def source(stream: str) -> str:
    return PREFIX + stream
