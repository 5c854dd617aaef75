"""Demonstration data: a city with 5 000 accounts, 6 services, 12 months of accruals, 2 desks
and the morning's bills, usable at once by the demo's administrator (no desk certificate in
the demo)."""

from __future__ import annotations

from sqlalchemy import distinct, func, select

from regie.api import Establishment
from regie_billpay.demo import BILLS_TODAY, fill
from regie_billpay.models import Accrual, Bill, Desk, Service, Subscriber


def test_demo_fills_a_city(make_establishment, make_user, regie_runtime, signed_in):
    place = make_establishment("regie-eaux", plugins=["billpay"], locale="uk", currency="UAH")
    admin = make_user("admin", superuser=True)
    with regie_runtime.db.transaction() as session:
        fill(session, session.get(Establishment, place.id), runtime=regie_runtime)

    with regie_runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 5000
        assert session.scalar(select(func.count()).select_from(Service)) == 6
        assert session.scalar(select(func.count(distinct(Accrual.period)))) == 12
        assert session.scalar(select(func.count()).select_from(Desk)) == 2
        bills = session.scalars(select(Bill)).all()
        assert len(bills) == BILLS_TODAY and all(bill.total > 0 for bill in bills)

    client = signed_in(admin)
    page = client.get("/regie-eaux/billpay/new", query_string={"find": 1, "street": "50 лет"}
                      ).get_data(as_text=True)
    assert "50 лет Октября" in page and "Каса 1" in page
    day = client.get("/regie-eaux/billpay/paid").get_data(as_text=True)
    assert all(f'data-bill-row="{bill.id}"' in day for bill in bills), "today's paid bills"
