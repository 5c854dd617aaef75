"""The agent's loop: the seed's cadences, the daily full push before 05:00, and a failing stream
that is logged and tried again at its next turn."""

from __future__ import annotations

import datetime as dt
import itertools
import logging

from regie_reservation.agent.client import ServerUnreachable
from regie_reservation.agent.config import Cadences
from regie_reservation.agent.scheduler import full_push_due, run_forever
from regie_reservation.agent.streams import window_start

PARIS = Cadences()


def at(hour: int, minute: int = 0, day: int = 20) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=PARIS.zone)


def test_the_full_push_runs_once_a_day_between_its_time_and_five_in_the_morning():
    assert not full_push_due(PARIS, None, at(3, 29))
    assert full_push_due(PARIS, None, at(3, 30))
    assert full_push_due(PARIS, "2026-11-19", at(4, 59))
    assert not full_push_due(PARIS, "2026-11-20", at(4, 0))
    assert not full_push_due(PARIS, None, at(5, 0))
    assert full_push_due(PARIS, "2026-11-20", at(3, 45, day=21))


def test_passages_pushed_are_the_current_month_or_the_last_seven_days():
    assert window_start(dt.date(2026, 11, 20)) == dt.date(2026, 11, 1)
    assert window_start(dt.date(2026, 11, 3)) == dt.date(2026, 10, 27)


class FakeState:
    def __init__(self):
        self.values = {}

    def get(self, name, default=None):
        return self.values.get(name, default)


class FakeStreams:
    """Records which stream ran at which second; ``refresh`` fails twice."""

    def __init__(self, clock):
        self.clock = clock
        self.state = FakeState()
        self.calls: list[tuple[str, float]] = []
        self.refresh_failures = 2

    def __getattr__(self, name):
        def stream():
            self.calls.append((name, self.clock.now))
            if name == "refresh" and self.refresh_failures:
                self.refresh_failures -= 1
                raise ServerUnreachable("server unreachable (refused); the next run catches up")
            if name == "full":
                self.state.values["full.done"] = "2026-11-20"
            return object()

        return stream


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_each_stream_runs_at_its_cadence_and_a_failure_waits_for_the_next_turn(caplog):
    clock = FakeClock()
    streams = FakeStreams(clock)
    hours = 3 * 3600

    with caplog.at_level(logging.ERROR, logger="regie.canteen.agent"):
        run_forever(streams, PARIS, clock=clock, sleep=clock.sleep,
                    now=lambda: at(3, 0) + dt.timedelta(seconds=clock.now),
                    keep_going=lambda: clock.now < hours)

    ran = [name for name, _when in streams.calls]
    payments = [when for name, when in streams.calls if name == "payments"]
    assert len(payments) == hours // 60
    assert all(60 <= later - earlier < 61 for earlier, later in itertools.pairwise(payments))
    assert ran.count("reservations") == hours // 60
    assert ran.count("refresh") >= hours // 10 - 1
    assert ran.count("full") == 1
    full_at = next(when for name, when in streams.calls if name == "full")
    assert 30 * 60 <= full_at < 31 * 60
    assert ran.count("individuals") == 2 + 1  # at 0 and 2 h, and just before the full push
    assert caplog.text.count("refresh: failed: server unreachable") == 2
