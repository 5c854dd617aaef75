"""Property: whatever sequence of orders, payments, refunds and carry-overs a member goes
through, the balance is the sum of the final operations, pending payments are left out, and
the core ledger still verifies."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from regie.api import Establishment
from regie.services import ledger
from regie_coop import accounts
from regie_coop.models import Distribution, Member, Operation

from .conftest import ON_SITE

steps = st.lists(st.one_of(
    st.tuples(st.just("order"), st.integers(1, 5000)),
    st.tuples(st.just("payment"), st.integers(1, 50_000)),
    st.tuples(st.just("refund"), st.integers(1, 50_000)),
    st.tuples(st.just("carry_over"), st.integers(-50_000, 50_000).filter(bool)),
    st.tuples(st.just("membership"), st.integers(1, 5000)),
), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_balance_is_the_sum_of_final_operations(regie_runtime, transaction, make_member,
                                                make_distribution, products, steps):
    member_id, distribution_id = make_member(), make_distribution(days=3)
    quantity = 0
    with transaction() as (session, place):
        member = session.get(Member, member_id)
        distribution = session.get(Distribution, distribution_id)
        for kind, amount in steps:
            if kind == "order":
                quantity += amount
                accounts.place_order(session, regie_runtime, place, member, distribution,
                                     {products["carrots"]: quantity}, method="cash",
                                     settings=ON_SITE)
            elif kind == "payment":
                accounts.add_payment(session, regie_runtime, place, member, method="cash",
                                     amount=amount)
            elif kind == "refund":
                accounts.add_refund(session, place, member, amount)
            elif kind == "carry_over":
                accounts.add_carry_over(session, place, member, amount)
            else:
                accounts.add_debt(session, place, member, "membership", amount)
    with regie_runtime.db.session() as session:
        member = session.get(Member, member_id)
        rows = list(session.scalars(select(Operation).where(Operation.member_id == member_id)))
        final = sum(row.amount for row in rows if not row.pending)
        account = session.get(type(accounts.account_of(session, member.establishment_id,
                                                       member)), member.account_id)
        assert member.balance == account.balance == final
        assert sum(row.amount for row in rows if row.pending) == -sum(
            row.amount for row in rows if row.kind == "order"), "each order added is to pay"
        statement = accounts.statement(session, member.establishment_id, member)
        assert [0, *(running for _op, running in statement if running is not None)][-1] == final
        assert ledger.verify(session, session.get(Establishment, member.establishment_id)).ok
