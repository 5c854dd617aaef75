"""Spreading a lump sum the client hands over across the debts, shown before paying."""

from __future__ import annotations

import attrs

from regie.api import Veto
from regie.api import gettext as _
from regie_billpay.accruals import Debt, ServiceDebt
from regie_billpay.amounts import show

OLDEST_FIRST, SERVICE_PRIORITY = "oldest_first", "service_priority"


@attrs.frozen
class Share:
    debt: Debt
    amount: int


def order_debts(lines: list[ServiceDebt], policy: str) -> list[Debt]:
    """The debts in the order a sum pays them: oldest month first (services by priority within
    a month), or by service priority (oldest month first within a service)."""
    flat = [debt for line in lines for debt in line.debts]
    if policy == SERVICE_PRIORITY:
        return sorted(flat, key=lambda d: (d.service.priority, d.service.code, d.period))
    return sorted(flat, key=lambda d: (d.period, d.service.priority, d.service.code))


def distribute(amount: int, lines: list[ServiceDebt], policy: str = OLDEST_FIRST, *,
               currency: str = "UAH") -> list[Share]:
    """The shares of ``amount`` (minor units) per service and month; refused when the amount
    is not positive or above the whole debt."""
    if amount <= 0:
        raise Veto(_("Enter a sum above zero."))
    owed = sum(line.amount for line in lines)
    if amount > owed:
        raise Veto(_("The sum %(sum)s is above the debt %(debt)s: check the amount entered.",
                     sum=show(amount, currency), debt=show(owed, currency)))
    shares, left = [], amount
    for debt in order_debts(lines, policy):
        if left == 0:
            break
        part = min(left, debt.amount)
        shares.append(Share(debt, part))
        left -= part
    return shares


def spread_over_months(amount: int, line: ServiceDebt) -> list[Share]:
    """A service's agreed amount, paying its months oldest first."""
    return distribute(amount, [line]) if amount else []
