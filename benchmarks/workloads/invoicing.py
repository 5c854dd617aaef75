"""invoicing: the monthly invoicing of Markets — 5 000 traders, 100 000 tickets in a month →
5 000 invoices posted as ledger debts, their 10 000-page PDF and the market page index.

Régie runs the treatment as its job does (``invoice_month``): plans the invoices from the
tickets, streams the tickets in PDF order, writes the invoice lines, posts each debt to the
trader's ledger account, draws two pages per invoice and the index, all in one transaction. The
baseline draws the same 10 000 pages with a raw reportlab canvas from data computed beforehand
and writes the file. Each side runs in a forked process whose peak memory growth is printed;
targets: time ≤ 2× the baseline's (ratio ≥ 0.5), peak memory ≤ 1.5× the baseline's.

``BENCH_INVOICING_TRADERS`` (default 5000) scales the month: 20 tickets per trader.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import resource
import sys
import traceback
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import insert, select

from benchmarks.instance import Instance
from benchmarks.workloads import BatchWorkload
from regie.api import TaskContext
from regie.runtime import Runtime
from regie.services import establishments, ledger
from regie_markets.invoicing import treatment
from regie_markets.models import ACCOUNT_KIND, Market, Ticket, Trader

TRADERS = int(os.environ.get("BENCH_INVOICING_TRADERS", "5000"))
TICKETS_PER_TRADER = 20
MONTHS = [dt.date(2026, month, 1) for month in (1, 2, 3, 4, 5)]
"""One month per run (a month is invoiced once)."""
_peaks: dict[str, list[float]] = {"regie": [], "baseline": []}


def prepare(instance: Instance) -> dict:
    runtime = instance.runtime
    chance = random.Random(9)
    with runtime.db.transaction() as session:
        town = establishments.create(session, runtime.engine, slug="lunel",
                                     name="Mairie de Lunel",
                                     address="Place de la mairie\n34400 Lunel")
        establishments.enable_plugin(session, runtime.engine, town, "markets")
        markets = [Market(establishment_id=town.id, name=f"Marché {index:02d}",
                          weekdays="1234567", tariff_standard=150 + index * 10,
                          tariff_demonstrator=300, tariff_surcharge=100)
                   for index in range(10)]
        session.add_all(markets)
        session.flush()
        market_ids = [market.id for market in markets]
        town_id = town.id
    with runtime.db.transaction() as session:
        town = session.get(establishments.Establishment, town_id)
        rows = []
        for number in range(1, TRADERS + 1):
            account = ledger.open_account(session, town, kind=ACCOUNT_KIND,
                                          owner_key=str(number), label=f"TRADER {number}")
            rows.append({"establishment_id": town_id, "number": number,
                         "last_name": f"NOM{number}", "first_name": "Prénom",
                         "legal_name": f"SARL MARCHÉ {number:05d}",
                         "address": f"{number} avenue de la République", "postcode": "34400",
                         "city": "Lunel", "siret": "73282932000074",
                         "badge_token": f"bench-{number}", "account_id": account.id})
        session.execute(insert(Trader), rows)
    with runtime.db.transaction() as session:
        trader_ids = list(session.scalars(select(Trader.id).order_by(Trader.id)))
        for month in MONTHS:
            tickets = []
            for trader_id in trader_ids:
                home = chance.choice(market_ids)
                for day in chance.sample(range(1, 29), TICKETS_PER_TRADER):
                    market = home if chance.random() < 0.8 else chance.choice(market_ids)
                    metres = chance.choice((2, 4, 6, 6, 8))
                    tickets.append({"establishment_id": town_id, "trader_id": trader_id,
                                    "market_id": market, "day": month.replace(day=day),
                                    "metres": metres, "demonstrator": False,
                                    "badge_surcharge": chance.random() < 0.05,
                                    "blocking_surcharge": False, "amount": metres * 150,
                                    "source": "field"})
            session.execute(insert(Ticket), tickets)
    return {"town": town_id, "pages": _baseline_data(chance), "next": 0}


def _baseline_data(chance: random.Random) -> list[tuple]:
    """What the baseline prints: per invoice its header values and 20 formatted lines."""
    invoices = []
    for number in range(1, TRADERS + 1):
        lines = [(f"{day:02d}/01", f"Marché {chance.randrange(10):02d}", f"{metres} m", "std",
                  f"{metres * 150 / 100:.2f} €".replace(".", ","))
                 for day, metres in zip(range(1, TICKETS_PER_TRADER + 1),
                                        [chance.choice((2, 4, 6, 8))
                                         for _ in range(TICKETS_PER_TRADER)], strict=True)]
        invoices.append((f"2026-01-{number:04d}", f"SARL MARCHÉ {number:05d}",
                         f"{number} avenue de la République", "34400 Lunel", str(number),
                         "123,00 €", lines))
    return invoices


def _in_child(side: str, work, *args) -> None:
    """Run ``work`` in a forked process; record its peak memory growth (MiB)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        code = 0
        try:
            start = _rss_kib()
            work(*args)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            os.write(write, str(max(peak - start, 0) / 1024).encode())
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as answer:
        text = answer.read()
    _pid, status = os.waitpid(pid, 0)
    if status != 0 or not text:
        raise RuntimeError(f"{side} failed")
    _peaks[side].append(float(text))
    print(f"{side:<9} peak memory growth {float(text):8.1f} MiB", flush=True)
    if len(_peaks["regie"]) == len(_peaks["baseline"]):
        ratio = min(_peaks["regie"]) / max(min(_peaks["baseline"]), 0.1)
        print(f"memory ratio (regie ÷ baseline, best runs): {ratio:.2f}", flush=True)


def _rss_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def regie(instance: Instance, prepared: dict) -> None:
    month = MONTHS[prepared["next"]]
    prepared["next"] += 1
    _in_child("regie", _regie_run, instance.folder, prepared["town"], month)


def _regie_run(folder: Path, town_id: int, month: dt.date) -> None:
    runtime = Runtime.from_config(folder, environ={})
    try:
        with runtime.db.transaction() as session:
            town = session.get(establishments.Establishment, town_id)
            run_id = treatment.prepare_run(session, town, month,
                                           today=dt.date(2026, 12, 1), actor="bench").id
        with runtime.db.session() as session:
            town = session.get(establishments.Establishment, town_id)
            context = TaskContext(runtime, "bench", town)
        result = treatment.invoice_month(context, run_id, actor="bench")
        if result.get("invoices") != TRADERS:
            print(f"unexpected result {result}", file=sys.stderr)
            raise SystemExit(1)
    finally:
        runtime.close()


def baseline(instance: Instance, prepared: dict) -> None:
    _in_child("baseline", _baseline_run, instance.folder / "baseline.pdf", prepared["pages"])


def _baseline_run(path: Path, invoices: list[tuple]) -> None:
    """The same two pages per invoice as Régie's layout, strings ready, positions fixed."""
    width, height = A4
    canvas = Canvas(str(path), pagesize=A4, pageCompression=1, invariant=1)
    page = 0
    facts = ("Facture n° :", "Mois facturé :", "Émise le :", "À régler avant le :",
             "Marché de distribution :")
    for number, name, street, city, trader, total, lines in invoices:
        canvas.setFont("Helvetica-Bold", 12)
        canvas.drawString(50, height - 50, "Mairie de Lunel")
        canvas.setFont("Helvetica", 9)
        canvas.drawString(50, height - 62.5, "Place de la mairie")
        canvas.drawString(50, height - 75, "34400 Lunel")
        canvas.setFont("Helvetica-Bold", 20)
        canvas.drawRightString(width - 50, height - 50, "FACTURE")
        canvas.setFont("Helvetica", 10)
        for index, (label, value) in enumerate(zip(facts, (number, "01/2026", "05/02/2026",
                                                           "07/03/2026", "Marché 01"),
                                                   strict=True)):
            canvas.drawRightString(width - 180, height - 80 - index * 12.5, label)
            canvas.drawString(width - 175, height - 80 - index * 12.5, value)
        canvas.setFont("Helvetica-Bold", 12)
        canvas.drawString(310, height - 220, name)
        canvas.setFont("Helvetica", 10)
        for index, text in enumerate((street, city, f"Commerçant n° {trader}",
                                      "SIRET 73282932000074")):
            canvas.drawString(310, height - 232.5 - index * 12.5, text)
        canvas.setFont("Helvetica-Bold", 11)
        canvas.drawString(50, height - 330, "Récapitulatif par marché")
        canvas.setFont("Helvetica", 10)
        for index, market in enumerate(("Marché 01", "Marché 02")):
            y = height - 344.5 - index * 14.5
            canvas.drawString(50, y, market)
            canvas.drawRightString(380, y, "10 tickets")
            canvas.drawRightString(460, y, "50 mètres")
            canvas.drawRightString(width - 50, y, total)
        canvas.line(50, height - 390, width - 50, height - 390)
        canvas.setFont("Helvetica-Bold", 14)
        canvas.drawString(50, height - 410, "Total à payer")
        canvas.drawRightString(width - 50, height - 410, total)
        canvas.setFont("Helvetica", 9)
        canvas.drawString(50, 90, "Paiement à la régie des marchés sur présentation de cette "
                                  "facture, ou en ligne depuis votre fiche.")
        for _second in range(2):
            page += 1
            canvas.setFont("Helvetica", 8)
            canvas.drawString(50, 30, f"Facture n° {number}")
            canvas.drawRightString(width - 50, 30, f"page {page}")
            canvas.showPage()
            if _second:
                break
            canvas.setFont("Helvetica-Bold", 11)
            canvas.drawString(50, height - 50, f"Détail des tickets — {number} — {name}")
            canvas.setFont("Helvetica", 8)
            for index, (day, market, metres, tariff, amount) in enumerate(lines):
                y = height - 75 - index * 12
                canvas.drawString(50, y, day)
                canvas.drawString(80, y, market)
                canvas.drawRightString(200, y, metres)
                canvas.drawString(205, y, tariff)
                canvas.drawRightString(287, y, amount)
    canvas.save()


WORKLOAD = BatchWorkload(
    description=f"monthly invoicing of {TRADERS} traders, {TRADERS * TICKETS_PER_TRADER} "
                "tickets → invoices, ledger debts, PDF of 2 pages each and page index, vs a "
                "raw reportlab canvas drawing the same pages from pre-computed data "
                "(target: ratio ≥ 0.5, memory ratio ≤ 1.5)",
    prepare=prepare, regie=regie, baseline=baseline)
