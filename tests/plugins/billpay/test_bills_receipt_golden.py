"""The dot-matrix receipt, byte for byte: 32 columns, cp866, CR LF line ends, a form feed at
the end, Ukrainian letters cp866 lacks (І, і, Ґ, ґ) as their usual stand-ins."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from regie.api import User
from regie_billpay import bills
from regie_billpay.models import Accrual, Desk, Subscriber

GOLDEN = Path(__file__).parent / "golden" / "receipt_cp866.txt"
PAID_AT = dt.datetime(2025, 3, 14, 9, 26, tzinfo=dt.UTC)  # 11:26 in Kremenchuk


def test_text_receipt_is_the_golden_file(cashier_client, transaction, regie_runtime, centre,
                                         desk, cashier):
    subscriber_id = centre["subscribers"]["100001"]
    heat, house = centre["services"]["HEAT"], centre["services"]["HOUSE"]
    with transaction() as (session, place):
        for service, amount in ((heat, 123456), (house, 15050)):
            session.add(Accrual(establishment_id=place.id, subscriber_id=subscriber_id,
                                service_id=service, period=dt.date(2025, 2, 1), amount=amount))
    with transaction() as (session, place):
        bill = bills.pay(session, place, desk=session.get(Desk, desk),
                         cashier=session.get(User, cashier.id),
                         subscriber=session.get(Subscriber, subscriber_id),
                         parts=[bills.Part(heat, dt.date(2025, 2, 1), 123456),
                                bills.Part(house, dt.date(2025, 2, 1), 10000)],
                         request_key="golden", runtime=regie_runtime, now=PAID_AT)
        bill_id = bill.id

    response = cashier_client.get(f"/kremenchuk/billpay/bills/{bill_id}/receipt.txt")

    assert response.headers["Content-Type"] == "text/plain; charset=cp866"
    assert response.data == GOLDEN.read_bytes()
    lines = response.data.rstrip(b"\f").split(b"\r\n")
    assert max(len(line) for line in lines) <= 32
    assert response.data.endswith(b"\r\n\f")


def test_a_duplicate_says_so(cashier_client, transaction, regie_runtime, centre, desk, cashier):
    with transaction() as (session, place):
        bill = bills.pay(session, place, desk=session.get(Desk, desk),
                         cashier=session.get(User, cashier.id),
                         subscriber=session.get(Subscriber, centre["subscribers"]["100001"]),
                         parts=[bills.Part(centre["services"]["HEAT"], centre["months"][0],
                                           100)],
                         request_key="dup", runtime=regie_runtime)
        bill_id = bill.id
    original = cashier_client.get(f"/kremenchuk/billpay/bills/{bill_id}/receipt.txt").data
    duplicate = cashier_client.get(f"/kremenchuk/billpay/bills/{bill_id}/receipt.txt",
                                   query_string={"duplicate": 1}).data
    marker = "*** ДУБЛIКАТ ***".encode("cp866")
    assert marker not in original and marker in duplicate
