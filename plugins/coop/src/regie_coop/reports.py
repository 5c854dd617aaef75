"""What coordinators read: the counter of a distribution and the members' balances."""

from __future__ import annotations

from collections import defaultdict

import attrs
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regie.api import select_for
from regie_coop.accounts import ON_THE_SPOT, ONLINE, paid_for
from regie_coop.models import PAYMENT, REFUND, Distribution, Member, Operation, Order


@attrs.frozen
class Irregularity:
    member: Member
    order: Order
    paid: int
    kind: str  # unpaid, part_paid, overpaid

    @property
    def difference(self) -> int:
        return self.paid - self.order.total


@attrs.frozen
class Counter:
    distribution: Distribution
    orders: int
    ordered: int
    per_type: dict[str, int]
    cheque_count: int
    cheque_total: int
    cash: int
    online_gross: int
    pending: int
    irregularities: list[Irregularity]

    @property
    def expected_drawer(self) -> int:
        """The drawer should hold the opening float and the cash taken."""
        return self.distribution.opening_float + self.cash


def counter(session: Session, establishment, distribution: Distribution) -> Counter:
    """The counter view of ``distribution``: money by payment type (refunds handed back
    reduce their type), cheques, the drawer, online takings and irregular orders."""
    operations = list(session.scalars(select_for(
        establishment, Operation, Operation.distribution_id == distribution.id,
        Operation.kind.in_((PAYMENT, REFUND)))))
    per_type: dict[str, int] = defaultdict(int)
    cheques = []
    pending = 0
    for operation in operations:
        if operation.pending:
            if operation.payment_type != ONLINE:
                pending += operation.amount
            continue
        per_type[operation.payment_type] += operation.amount
        if operation.payment_type == "cheque" and operation.kind == PAYMENT:
            cheques.append(operation.amount)
    orders = list(session.scalars(select_for(establishment, Order,
                                             Order.distribution_id == distribution.id)
                                  .order_by(Order.id)))
    irregular = []
    for order in orders:
        paid = paid_for(session, order)
        kind = ("unpaid" if paid <= 0 < order.total else "part_paid" if paid < order.total
                else "overpaid" if paid > order.total else "")
        if kind:
            irregular.append(Irregularity(order.member, order, paid, kind))
    return Counter(distribution=distribution, orders=len(orders),
                   ordered=sum(order.total for order in orders), per_type=dict(per_type),
                   cheque_count=len(cheques), cheque_total=sum(cheques),
                   cash=per_type.get("cash", 0), online_gross=per_type.get(ONLINE, 0),
                   pending=pending, irregularities=irregular)


def unresolved(session: Session, establishment, distribution: Distribution) -> int:
    return len(list(session.scalars(select_for(
        establishment, Operation, Operation.distribution_id == distribution.id,
        Operation.pending.is_(True), Operation.payment_type == ON_THE_SPOT))))


FILTERS = ("all", "zero", "credit", "debt")
SORTS = {"name": Member.name, "balance": Member.balance}
PAGE_SIZE = 50


def balances_query(establishment, *, sort: str = "name", descending: bool = False,
                   show: str = "all", search: str = ""):
    """The members with their cached balance: filtered (zero, credit, debt), sorted by name
    or balance."""
    query = select_for(establishment, Member)
    if show == "zero":
        query = query.where(Member.balance == 0)
    elif show == "credit":
        query = query.where(Member.balance > 0)
    elif show == "debt":
        query = query.where(Member.balance < 0)
    if search.strip():
        query = query.where(Member.name.ilike(f"%{search.strip()}%"))
    column = SORTS.get(sort, Member.name)
    return query.order_by(column.desc() if descending else column, Member.id)


def members_in(session: Session, query, page: int, size: int = PAGE_SIZE) -> list[Member]:
    return list(session.scalars(query.offset((page - 1) * size).limit(size)))


def count(session: Session, query) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
