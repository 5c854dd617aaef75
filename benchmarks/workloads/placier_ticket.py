"""placier-ticket: the TICKET flow of 20 placiers working at once on a market, over HTTP.

Each placier is signed in on their own phone (an HTTP client keeping its cookies), has chosen
the market and the TICKET mode, and for each trader in their aisle: opens the badge URL (the
ticket form with the trader's summary, status and usual metres), taps 6 m (POST: the ticket is
saved with its amount and its history line, then the browser follows the redirect) and sees
the saved ticket. :data:`TRADERS` traders per run, split among :data:`PLACIERS` threads.

Régie serves it with ``regie serve`` (gunicorn, the runner's default settings); the baseline
(:mod:`benchmarks.baselines.placier_ticket`) is a minimal Flask app doing the same reads (trader
by token, market, today's ticket, usual metres) and one insert, under the same gunicorn
settings. Both servers start once, before the timed runs; each run uses a market of its own so
every flow creates a ticket. After each Régie run the workload checks that every trader got
exactly one ticket with its history line.

Target (issue 8): at least 0.5× the baseline's throughput. ``PLACIER_BENCH_TRADERS`` scales a
run.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import re
import threading

import httpx
from sqlalchemy import func, select

from benchmarks.baselines import placier_ticket as baseline
from benchmarks.instance import Instance
from benchmarks.load import USER_AGENT
from benchmarks.runner import Options, baseline_server, regie_server
from benchmarks.workloads import BatchWorkload
from regie.services import establishments, users
from regie.testing.web import form_fields
from regie_markets import traders
from regie_markets.models import Market, Ticket, TicketChange

SLUG = "lunel-bench"
PLACIERS = 20
TRADERS = int(os.environ.get("PLACIER_BENCH_TRADERS", "400"))
#: Markets prepared: one per timed run of each side (the runner's ``--repeat`` at most).
RUNS = 5
PASSWORD = "bench-" + "x" * 20
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _arrange(instance: Instance) -> dict:
    runtime = instance.runtime
    with runtime.db.transaction() as session:
        place = establishments.create(session, runtime.engine, slug=SLUG, name="Lunel banc")
        establishments.enable_plugin(session, runtime.engine, place, "markets", {})
        markets = [Market(establishment_id=place.id, name=f"Marché {run}", weekdays="1234567",
                          tariff_standard=150, tariff_demonstrator=300, tariff_surcharge=100)
                   for run in range(RUNS)]
        session.add_all(markets)
        tokens = []
        for number in range(TRADERS):
            trader = traders.create_trader(session, place, {
                "last_name": f"TRADER{number:04d}", "first_name": "Bench",
                "address": "1 rue Haute", "siret": "73282932000074",
                "kbis_checked_on": "2026-01-01", "insurance_until": "2030-01-01"})
            traders.associate_badge(session, place, trader, f"B{number:05d}")
            tokens.append(trader.badge_token)
        for number in range(PLACIERS):
            user = users.create(session, f"placier{number}", PASSWORD)
            users.grant(session, runtime.engine, user, place, "markets.placier")
        session.flush()
        return {"establishment": place.id, "markets": [m.id for m in markets],
                "tokens": tokens}


def _signed_in(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60, headers={"User-Agent": USER_AGENT})
    fields = form_fields(client.get("/login").text)
    fields.update(username=username, password=PASSWORD)
    if client.post("/login", data=fields).status_code != 302:
        raise RuntimeError(f"sign-in as {username} refused")
    return client


def _token(html: str) -> str:
    match = CSRF.search(html)
    if not match:
        raise RuntimeError(f"no CSRF token in {html[:300]!r}")
    return match.group(1)


def _flow(client: httpx.Client, form_url: str, save_url: str) -> None:
    """Badge URL, tap 6 m, see the ticket."""
    form = client.get(form_url)
    if form.status_code != 200:
        raise RuntimeError(f"{form_url}: {form.status_code}")
    saved = client.post(save_url, data={"csrf_token": _token(form.text), "metres": "6"})
    if saved.status_code != 302:
        raise RuntimeError(f"{save_url}: {saved.status_code} {saved.text[:300]!r}")
    shown = client.get(saved.headers["Location"])
    if shown.status_code != 200 or "6 m" not in shown.text:
        raise RuntimeError(f"ticket page: {shown.status_code}")


def _in_parallel(work) -> None:
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            work(index)
        except BaseException as exc:  # reported after the join
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(PLACIERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def prepare(instance: Instance) -> dict:
    data = _arrange(instance)
    baseline.create_tables(instance.database_url)
    stack = contextlib.ExitStack()
    atexit.register(stack.close)
    options = Options()
    data["regie"] = stack.enter_context(regie_server(instance, options)).base
    data["baseline"] = stack.enter_context(baseline_server(
        "benchmarks.baselines.placier_ticket:create_app()", instance, options)).base
    data["stack"] = stack
    data["clients"] = [_signed_in(data["regie"], f"placier{n}") for n in range(PLACIERS)]
    data["baseline_clients"] = [httpx.Client(base_url=data["baseline"], timeout=60)
                                for _ in range(PLACIERS)]
    data["runs"] = {"regie": itertools.count(), "baseline": itertools.count()}
    return data


def regie(instance: Instance, data: dict) -> None:
    market = data["markets"][next(data["runs"]["regie"])]
    slug = f"/{SLUG}/markets"

    def placier(index: int) -> None:
        client = data["clients"][index]
        home = client.get(f"{slug}/field/").text
        for path, values in (("market", {"market_id": str(market)}),
                             ("mode", {"mode": "ticket"})):
            client.post(f"{slug}/field/{path}", data={"csrf_token": _token(home), **values})
        for token in data["tokens"][index::PLACIERS]:
            _flow(client, f"{slug}/b/{token}", f"{slug}/field/ticket/{token}")

    try:
        _in_parallel(placier)
    except RuntimeError:
        log = (instance.folder / "regie-serve.log").read_text(errors="replace")
        print(log[log.rfind("Traceback"):][:4000] if "Traceback" in log else log[-2000:])
        raise
    with instance.runtime.db.session() as session:
        saved = session.scalar(select(func.count(Ticket.id)).where(Ticket.market_id == market))
        logged = session.scalar(select(func.count(TicketChange.id)).where(
            TicketChange.ticket_id.in_(select(Ticket.id).where(Ticket.market_id == market))))
    if saved != TRADERS or logged != TRADERS:
        raise RuntimeError(f"Régie saved {saved} tickets and {logged} history lines for "
                           f"{TRADERS} traders")


def regie_baseline(instance: Instance, data: dict) -> None:
    market = data["markets"][next(data["runs"]["baseline"])]

    def placier(index: int) -> None:
        client = data["baseline_clients"][index]
        for token in data["tokens"][index::PLACIERS]:
            _flow(client, f"/b/{token}?market={market}", f"/ticket/{token}?market={market}")

    _in_parallel(placier)


WORKLOAD = BatchWorkload(
    description=f"TICKET flow (badge URL, form, save 6 m, ticket shown) by {PLACIERS} placiers "
                f"over HTTP, {TRADERS} traders per run",
    prepare=prepare,
    regie=regie,
    baseline=regie_baseline,
)
