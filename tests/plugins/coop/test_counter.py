"""The counter of a distribution: money per type, cheques, the drawer, online takings and the
members whose order is unpaid, part-paid or overpaid."""

from __future__ import annotations

from regie_coop import accounts, reports
from regie_coop.models import Distribution, Member, Operation

from .conftest import ON_SITE


def test_the_counter_adds_up_each_type_and_names_irregular_orders(
        transaction, regie_runtime, make_member, make_distribution, products):
    names = ("Unpaid", "Part paid", "Overpaid", "Exact", "Cheque")
    members = [make_member(name) for name in names]
    distribution_id = make_distribution(days=0)
    with transaction() as (session, place):
        distribution = session.get(Distribution, distribution_id)
        distribution.opening_float = 4000
        rows = {}
        for member_id in members:
            member = session.get(Member, member_id)
            order, payment = accounts.place_order(
                session, regie_runtime, place, member, distribution, {products["eggs"]: 4000},
                method="cash", settings=ON_SITE)
            rows[member.name] = (member, order, payment)
        for name in ("Unpaid", "Part paid", "Overpaid"):
            session.delete(rows[name][2])
        session.flush()
        for name, amount in (("Part paid", 600), ("Overpaid", 1200)):
            member, order, _payment = rows[name]
            accounts.add_payment(session, regie_runtime, place, member, method="cash",
                                 amount=amount, distribution=distribution, order=order)
        accounts.resolve(rows["Exact"][2], "cash", {})
        accounts.resolve(rows["Cheque"][2], "cheque", {"number": "77", "bank": "CIC"})
        assert accounts.validate(session, regie_runtime, place, distribution) == 2
        counter = reports.counter(session, place, distribution)
    assert counter.per_type == {"cash": 600 + 1200 + 1000, "cheque": 1000}
    assert (counter.cheque_count, counter.cheque_total) == (1, 1000)
    assert counter.expected_drawer == 4000 + 2800
    assert counter.online_gross == 0 and counter.pending == 0
    assert {item.member.name: (item.kind, item.difference)
            for item in counter.irregularities} == {
        "Unpaid": ("unpaid", -1000), "Part paid": ("part_paid", -400),
        "Overpaid": ("overpaid", 200)}
    with regie_runtime.db.session() as session:
        assert session.query(Operation).filter(Operation.pending.is_(True)).count() == 0
