"""billpay-day: the reports of a utility cashier's day of 50 000 payments (about 100 000
service lines, 1 % cancelled) over 4 desks, 6 services and 6 payees.

Régie builds the consolidated register (sums per service by the database, the day's
cancellations), draws it as a PDF, and writes one DBF file per payee in the payee's code page
(five cp866, one cp1251) with the plugin's code: letters the code page lacks transliterated,
amounts as decimals. The baseline runs the same aggregation in plain SQL, draws the same
register on a bare reportlab canvas and writes the same DBF files with ``dbf``, replacing the
same letters with ``str.translate``. The ratio is the baseline's time ÷ Régie's (target ≥ 0.5).

Arranging inserts the bills and lines in bulk (the reports read no core payment, so the bills
carry placeholder payment ids), then lets the database ANALYZE them: without statistics,
PostgreSQL plans the tenant-filtered report queries badly after a bulk load, which a day's
payments arriving one by one never cause. ``BILLPAY_BENCH_PAYMENTS`` scales it down for a quick try.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import shutil
from decimal import Decimal
from pathlib import Path

import dbf
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import insert, select, text

from benchmarks.instance import Instance
from benchmarks.workloads import BatchWorkload
from regie.db.base import utcnow
from regie.db.models import Establishment
from regie.services import establishments
from regie_billpay.models import Bill, BillLine, City, Desk, Payee, Service, Subscriber
from regie_billpay.reports import exports, fonts, pdf, registers
from regie_billpay.reports.dbf_files import FIELDS, LOOKALIKES

SLUG = "kremenchuk-bench"
PAYMENTS = int(os.environ.get("BILLPAY_BENCH_PAYMENTS", "50000"))
SUBSCRIBERS = 20_000
DAY = dt.date(2026, 11, 20)
CHUNK = 10_000
SERVICES = [("HOUSE", "Експл. витрати, ліфт, сміття"), ("HEAT", "Опалення"),
            ("WATER", "Вода та каналізація"), ("HOTWATER", "Підігрів води"), ("GAS", "Газ"),
            ("POWER", "Електроенергія")]
SURNAMES = ["Петренко", "Іваненко", "Коваль", "Шевчук", "Бондар", "Ткаченко", "Мельник",
            "Кравченко", "Олійник", "Ґудзь"]
STREETS = ["50 лет Октября", "вул. Соборна", "вул. Івана Приходька", "просп. Свободи"]


def prepare(instance: Instance) -> dict:
    runtime = instance.runtime
    rng = random.Random(6)
    with runtime.db.transaction() as session:
        place = establishments.create(session, runtime.engine, slug=SLUG, name="РЦ Кременчук",
                                      locale="uk", currency="UAH", timezone="Europe/Kyiv")
        establishments.enable_plugin(session, runtime.engine, place, "billpay", {})
        city = City(establishment_id=place.id, code="KRM", name="Кременчук")
        session.add(city)
        payees = [Payee(establishment_id=place.id, code=f"P{number}", name=f"Отримувач {code}",
                        edrpou=f"0335612{number}",
                        dbf_encoding="cp1251" if code == "HEAT" else "cp866")
                  for number, (code, _name) in enumerate(SERVICES)]
        session.add_all(payees)
        session.flush()
        services = [Service(establishment_id=place.id, code=code, name=name,
                            payee_id=payee.id, priority=number)
                    for number, ((code, name), payee) in enumerate(zip(SERVICES, payees,
                                                                       strict=True))]
        desks = [Desk(establishment_id=place.id, code=f"K-{number:02d}", name=f"Каса {number}",
                      city_id=city.id) for number in range(1, 5)]
        session.add_all([*services, *desks])
        session.flush()
        session.execute(insert(Subscriber), [
            {"establishment_id": place.id, "city_id": city.id,
             "account_number": f"{number:08d}", "surname": rng.choice(SURNAMES),
             "street": rng.choice(STREETS), "house": str(rng.randint(1, 120)),
             "apartment": str(rng.randint(1, 200)) if rng.random() < 0.8 else "",
             "street_key": "", "surname_key": ""} for number in range(SUBSCRIBERS)])
        subscriber_ids = list(session.scalars(select(Subscriber.id).where(
            Subscriber.establishment_id == place.id)))
        ids = {"place": place.id, "desks": [desk.id for desk in desks]}
        service_ids = [service.id for service in services]
    created = utcnow()
    period = DAY.replace(day=1) - dt.timedelta(days=1)
    for first in range(0, PAYMENTS, CHUNK):
        count = min(CHUNK, PAYMENTS - first)
        with runtime.db.transaction() as session:
            plans = []
            for number in range(first, first + count):
                chosen = rng.sample(service_ids, rng.randint(1, 3))
                amounts = [rng.randint(500, 250_000) for _service in chosen]
                plans.append((number, chosen, amounts))
            session.execute(insert(Bill), [
                {"establishment_id": ids["place"], "subscriber_id": rng.choice(subscriber_ids),
                 "desk_id": rng.choice(ids["desks"]), "cashier_id": None,
                 "payment_id": number + 1, "kind": "bill", "total": sum(amounts), "day": DAY,
                 "request_key": f"bench-{number}", "created_at": created,
                 "cancelled_at": created if rng.random() < 0.01 else None,
                 "cancel_reason": "", "cancel_document": "", "cancelled_by_id": None,
                 "printed_count": 1}
                for number, _chosen, amounts in plans])
            bill_ids = dict(session.execute(select(Bill.request_key, Bill.id).where(
                Bill.establishment_id == ids["place"],
                Bill.request_key.in_([f"bench-{number}" for number, _c, _a in plans]))).all())
            session.execute(insert(BillLine), [
                {"establishment_id": ids["place"], "bill_id": bill_ids[f"bench-{number}"],
                 "service_id": service, "period": period.replace(day=1), "amount": amount}
                for number, chosen, amounts in plans
                for service, amount in zip(chosen, amounts, strict=True)])
    with runtime.db.transaction() as session:
        session.execute(text("ANALYZE"))  # the statistics a database serving a day would have
    return {**ids, "out": instance.folder / "billpay-day"}


def regie(instance: Instance, prepared: dict) -> None:
    folder = _fresh(prepared["out"] / "regie")
    with instance.runtime.db.session() as session:
        place = session.get(Establishment, prepared["place"])
        desks = list(session.scalars(select(Desk).where(Desk.establishment_id == place.id)))
        register = registers.consolidated(session, place, DAY, desks)
        (folder / "register.pdf").write_bytes(pdf.consolidated_pdf(place, register))
        files = exports.write_day_dbf(session, place, DAY, desks, folder)
    assert len(files) == len(SERVICES)


def _replacements(encoding: str) -> dict:
    """The look-alikes for the letters ``encoding`` lacks (cp866: Ukrainian і, ґ)."""
    missing = {}
    for key, value in LOOKALIKES.items():
        try:
            key.encode(encoding)
        except UnicodeEncodeError:
            missing[key] = value
    return str.maketrans(missing)


_SUMS = text("""
SELECT s.code, s.name, p.name, count(l.id), sum(l.amount)
FROM billpay_bill_line l JOIN billpay_bill b ON b.id = l.bill_id
JOIN billpay_service s ON s.id = l.service_id JOIN billpay_payee p ON p.id = s.payee_id
WHERE b.establishment_id = :place AND b.day = :day AND b.cancelled_at IS NULL
GROUP BY s.id, s.code, s.name, s.priority, p.name ORDER BY s.priority, s.code""")
_CANCELLED = text("""
SELECT b.id, d.code, u.account_number, u.surname, b.total, b.cancelled_at, b.cancel_reason
FROM billpay_bill b JOIN billpay_desk d ON d.id = b.desk_id
JOIN billpay_subscriber u ON u.id = b.subscriber_id
WHERE b.establishment_id = :place AND b.day = :day AND b.cancelled_at IS NOT NULL
ORDER BY b.cancelled_at, b.id""")
_LINES = text("""
SELECT s.payee_id, b.id, b.day, d.code, u.account_number, u.surname, u.street, u.house,
       u.apartment, s.code, l.period, l.amount
FROM billpay_bill_line l JOIN billpay_bill b ON b.id = l.bill_id
JOIN billpay_service s ON s.id = l.service_id JOIN billpay_desk d ON d.id = b.desk_id
JOIN billpay_subscriber u ON u.id = b.subscriber_id
WHERE b.establishment_id = :place AND b.day = :day AND b.cancelled_at IS NULL
ORDER BY s.payee_id, b.id, l.id""")


def baseline(instance: Instance, prepared: dict) -> None:
    folder = _fresh(prepared["out"] / "baseline")
    params = {"place": prepared["place"], "day": DAY}
    with instance.runtime.db.engine.connect() as connection:
        sums = connection.execute(_SUMS, params).all()
        cancelled = connection.execute(_CANCELLED, params).all()
        (folder / "register.pdf").write_bytes(_baseline_pdf(sums, cancelled))
        payees = {row[0]: (row[1], row[2]) for row in connection.execute(text(
            "SELECT id, code, dbf_encoding FROM billpay_payee WHERE establishment_id = :place"),
            params)}
        table, current, number, replace = None, None, 0, {}
        for row in connection.execute(_LINES, params):
            if row[0] != current:
                if table is not None:
                    table.close()
                current, number = row[0], 0
                code, encoding = payees[current]
                replace = _replacements(encoding)
                table = dbf.Table(str(folder / f"{code}_{DAY:%Y%m%d}.dbf"), FIELDS,
                                  dbf_type="db3", codepage=encoding)
                table.open(dbf.READ_WRITE)
            number += 1
            address = ", ".join(part for part in (row[6], row[7],
                                                  f"кв. {row[8]}" if row[8] else "") if part)
            table.append((number, row[1], _date(row[2]), row[3], row[4],
                          row[5].translate(replace)[:40], address.translate(replace)[:80],
                          row[9], _date(row[10]), Decimal(row[11]).scaleb(-2)))
        if table is not None:
            table.close()


def _date(value) -> dt.date:
    """SQLite gives plain SQL's dates back as text, PostgreSQL as dates."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _baseline_pdf(sums, cancelled) -> bytes:
    fonts.register()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    _width, height = A4
    y = height - 40
    canvas.setFont(fonts.BOLD, 12)
    canvas.drawString(40, y, "Зведений реєстр комунальних платежів")
    canvas.setFont(fonts.REGULAR, 8.5)
    for code, name, payee, count, amount in sums:
        y -= 14
        canvas.drawString(40, y, code)
        canvas.drawString(100, y, name)
        canvas.drawString(280, y, payee)
        canvas.drawRightString(470, y, str(count))
        canvas.drawRightString(555, y, f"{Decimal(amount).scaleb(-2):,.2f}")
    for bill, desk, account, surname, total, _at, reason in cancelled:
        y -= 14
        if y < 40:
            canvas.showPage()
            canvas.setFont(fonts.REGULAR, 8.5)
            y = height - 40
        canvas.drawRightString(80, y, str(bill))
        canvas.drawString(90, y, desk)
        canvas.drawString(140, y, account)
        text_ = surname if stringWidth(surname, fonts.REGULAR, 8.5) < 90 else surname[:12]
        canvas.drawString(220, y, text_)
        canvas.drawString(320, y, reason)
        canvas.drawRightString(555, y, f"{Decimal(total).scaleb(-2):,.2f}")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


WORKLOAD = BatchWorkload(
    description=f"a cashier day of {PAYMENTS} payments: consolidated register PDF and one DBF "
                "per payee, against SQL aggregation, a bare canvas and the same DBF files",
    prepare=prepare,
    regie=regie,
    baseline=baseline,
)
