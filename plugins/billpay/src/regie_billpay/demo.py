"""Demonstration data for ``regie demo``: Kremenchuk's settlement centre with 5 000 subscriber
accounts, 6 services of 5 payees, 12 months of accruals, 2 desks (one with an inter-city
contract) and the morning's bills at the first desk, so the day's registers have lines. Rows
go in by bulk inserts and the bills through the cashier's own service, so the whole lot takes
a few seconds."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from regie.api import Establishment, User
from regie_billpay.accruals import add_months, month_start
from regie_billpay.bills import Part, local_now, pay
from regie_billpay.models import (
    Accrual,
    City,
    Desk,
    DeskCashier,
    Payee,
    Service,
    Subscriber,
    search_key,
)
from regie_billpay.search import address_part, street_key

PAYEES = (("VK", "КП «Кременчукводоканал»", "03356128", "cp866"),
          ("TE", "ПАТ «Кременчуцька ТЕЦ»", "00131050", "cp1251"),
          ("GAZ", "АТ «Кременчукгаз»", "03351912", "cp866"),
          ("EN", "АТ «Полтаваобленерго»", "00131819", "cp866"),
          ("ZHS", "КП «Житлосервіс»", "35620013", "cp866"))
# code, name, payee, priority, monthly amount range (kopiyky), heating season only
SERVICES = (("HOUSE", "Експл. витрати, ліфт, сміття", "ZHS", 1, (9000, 25000), False),
            ("HEAT", "Опалення", "TE", 2, (90000, 260000), True),
            ("WATER", "Вода та каналізація", "VK", 3, (12000, 45000), False),
            ("HOTWATER", "Підігрів води", "TE", 4, (8000, 30000), False),
            ("GAS", "Газ", "GAZ", 5, (5000, 60000), False),
            ("POWER", "Електроенергія", "EN", 6, (15000, 90000), False))
STREETS = ("50 лет Октября", "50 років Перемоги", "вул. Соборна", "вул. Шевченка",
           "просп. Свободи", "вул. Першотравнева", "вул. Небесної Сотні", "вул. Київська",
           "вул. Лікаря Богаєвського", "вул. Івана Мазепи", "бул. Пушкіна", "вул. Гагаріна",
           "вул. Халаменюка", "вул. Велика Набережна", "вул. Троїцька", "вул. Героїв Крут",
           "вул. Миру", "вул. Павлова", "вул. Пролетарська", "вул. Чумацький Шлях")
SURNAMES = ("Петренко", "Коваленко", "Бондаренко", "Шевченко", "Ткаченко", "Кравченко",
            "Олійник", "Шевчук", "Коваль", "Поліщук", "Бондар", "Ткачук", "Мельник", "Лисенко",
            "Марченко", "Руденко", "Савченко", "Петрів", "Мороз", "Іваненко", "Гончаренко",
            "Литвиненко", "Павленко", "Кузьменко", "Остапенко", "Сидоренко", "Панченко",
            "Романенко", "Тимошенко", "Яковенко")
HEATING_MONTHS = {1, 2, 3, 4, 10, 11, 12}


#: Bills paid at the first desk this morning.
BILLS_TODAY = 30


def fill(session: Session, establishment: Establishment, accounts: int = 5000,
         months: int = 12, runtime=None) -> None:
    rng = random.Random(2009)  # noqa: S311  (deterministic demonstration data)
    place = establishment.id
    _no_certificate_in_demo(establishment)
    kremenchuk = City(establishment_id=place, code="KRM", name="Кременчук")
    plavni = City(establishment_id=place, code="HPL", name="Горішні Плавні")
    payees = {code: Payee(establishment_id=place, code=code, name=name, edrpou=edrpou,
                          dbf_encoding=encoding) for code, name, edrpou, encoding in PAYEES}
    session.add_all([kremenchuk, plavni, *payees.values()])
    session.flush()
    services = [Service(establishment_id=place, code=code, name=name,
                        payee_id=payees[payee].id, priority=priority)
                for code, name, payee, priority, _range, _season in SERVICES]
    desks = [Desk(establishment_id=place, code="K-01", name="Каса 1",
                  bank="АТ «Ощадбанк», відділення 10022/015", city_id=kremenchuk.id,
                  inter_city=False, opens_at=dt.time(8, 0), closes_at=dt.time(17, 0)),
             Desk(establishment_id=place, code="K-02", name="Каса 2",
                  bank="АТ «ПриватБанк», відділення «Кременчук-Центр»", city_id=kremenchuk.id,
                  inter_city=True, opens_at=dt.time(9, 0), closes_at=dt.time(19, 0))]
    session.add_all([*services, *desks])
    session.flush()
    cashiers = list(session.scalars(select(User).where(User.is_superuser).order_by(User.id)))
    for cashier in cashiers:
        session.add(DeskCashier(establishment_id=place, desk_id=desks[0].id, user_id=cashier.id))
    session.execute(insert(Subscriber), [_subscriber(rng, place, kremenchuk.id, number)
                                         for number in range(accounts)])
    ids = list(session.scalars(select(Subscriber.id).where(
        Subscriber.establishment_id == place).order_by(Subscriber.id)))
    this_month = month_start(local_now(establishment).date())
    periods = [add_months(this_month, -n) for n in range(months, 0, -1)]
    rows = []
    for subscriber_id in ids:
        for service, (_code, _name, _payee, _priority, (low, high), season) in zip(
                services, SERVICES, strict=True):
            monthly = rng.randrange(low, high, 5)
            for period in periods:
                if season and period.month not in HEATING_MONTHS:
                    continue
                rows.append({"establishment_id": place, "subscriber_id": subscriber_id,
                             "service_id": service.id, "period": period,
                             "amount": monthly + rng.randrange(-500, 500, 5)})
        if len(rows) >= 20000:
            session.connection().execute(insert(Accrual.__table__), rows)
            rows = []
    if rows:
        session.connection().execute(insert(Accrual.__table__), rows)
    if cashiers and runtime is not None:
        _morning_bills(session, runtime, establishment, desks[0], cashiers[0], rng, ids,
                       periods[-1])


def _morning_bills(session: Session, runtime, establishment: Establishment, desk: Desk,
                   cashier: User, rng: random.Random, subscriber_ids: list[int],
                   period: dt.date) -> None:
    """:data:`BILLS_TODAY` subscribers pay last month's water and upkeep in cash."""
    for number, subscriber_id in enumerate(rng.sample(subscriber_ids, BILLS_TODAY)):
        owed = session.execute(
            select(Accrual.service_id, Accrual.amount)
            .join(Service, Service.id == Accrual.service_id)
            .where(Accrual.subscriber_id == subscriber_id, Accrual.period == period,
                   Service.code.in_(("WATER", "HOUSE")))).all()
        pay(session, establishment, desk=desk, cashier=cashier,
            subscriber=session.get(Subscriber, subscriber_id),
            parts=[Part(service_id, period, amount) for service_id, amount in owed],
            request_key=f"demo-{number}", runtime=runtime)


def _subscriber(rng: random.Random, place: int, city_id: int, number: int) -> dict:
    street = STREETS[number % len(STREETS)]
    surname = rng.choice(SURNAMES)
    house = str(rng.randrange(1, 80)) + ("а" if rng.random() < 0.05 else "")
    apartment = str(rng.randrange(1, 120)) if rng.random() < 0.85 else ""
    return {"establishment_id": place, "city_id": city_id,
            "account_number": str(100000 + number * 7), "surname": surname, "street": street,
            "house": address_part(house), "apartment": address_part(apartment),
            "street_key": street_key(street), "surname_key": search_key(surname)}


def _no_certificate_in_demo(establishment: Establishment) -> None:
    """The demonstration runs without desk certificates (no TLS in ``regie demo``)."""
    for row in establishment.plugins:
        if row.plugin == "billpay":
            row.settings = {**row.settings, "require_client_certificate": False}
