"""Reminders by mail to the members who owe the group money."""

from __future__ import annotations

import attrs
from sqlalchemy.orm import Session

from regie.api import Establishment, Money, format_money, gettext, queue_mail, select_for
from regie_coop.models import Member

_ = gettext


@attrs.frozen
class Reminded:
    queued: int
    without_email: list[str]


def remind_debtors(session: Session, runtime, establishment: Establishment, *,
                   user=None) -> Reminded:
    """Queue one reminder per member in debt who has an e-mail address, in the caller's
    transaction (the outbox sends them). A mail set-up problem raises the core's
    :class:`regie.api.Veto` and nothing is queued."""
    queued, without = 0, []
    debtors = session.scalars(select_for(establishment, Member, Member.balance < 0)
                              .order_by(Member.name))
    for member in debtors:
        if not member.email:
            without.append(member.name)
            continue
        owed = format_money(Money(-member.balance, establishment.currency),
                            establishment.locale)
        queue_mail(session, runtime, establishment, to=member.email, user=user,
                   record=f"coop.member:{member.id}",
                   subject=_("%(group)s: your account owes %(amount)s",
                             group=establishment.name, amount=owed),
                   text=_("Hello %(name)s,\n\nYour account with %(group)s shows a debt of "
                          "%(amount)s. Please settle it at the next distribution or online "
                          "from your account page.\n\nThank you.",
                          name=member.name, group=establishment.name, amount=owed))
        queued += 1
    return Reminded(queued, without)
