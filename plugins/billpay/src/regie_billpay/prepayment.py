"""Prepayment bills: one or two months ahead, by the amounts of the last accruals."""

from __future__ import annotations

import datetime as dt

import attrs
from sqlalchemy.orm import Session

from regie.api import Establishment, Veto
from regie.api import gettext as _
from regie_billpay.accruals import add_months, last_accruals, total_debt
from regie_billpay.models import Service, Subscriber

MONTHS = (1, 2)


def debt_message() -> str:
    return _("Prepayment is not possible: the subscriber has a debt. Pay the debt first "
             "(New bill).")


@attrs.frozen
class PrepaidService:
    """A line of a prepayment bill: a service, the months it pays, the proposed amount."""

    service: Service
    periods: tuple[dt.date, ...]
    monthly: int

    @property
    def amount(self) -> int:
        return self.monthly * len(self.periods)


def propose(session: Session, establishment: Establishment, subscriber: Subscriber,
            months: int, *, service_ids: set[int] | None = None) -> list[PrepaidService]:
    """The prepayment bill for ``months`` months after the last accrued (or prepaid) one of
    each service; refused while the account has a debt. Prepayments add up: a second one
    starts after the months the first paid."""
    if months not in MONTHS:
        raise Veto(_("A prepayment is for 1 or 2 months."))
    if total_debt(session, establishment, subscriber) > 0:
        raise Veto(debt_message())
    return [PrepaidService(last.service, tuple(add_months(last.next_period, n)
                                               for n in range(months)), last.amount)
            for last in last_accruals(session, establishment, subscriber)
            if service_ids is None or last.service.id in service_ids]
