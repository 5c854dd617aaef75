"""The demonstration group: 30 members, four past distributions, debts and credits."""

from sqlalchemy import select

from regie.api import Establishment
from regie.services import ledger
from regie_coop.demo import fill
from regie_coop.models import Distribution, Member


def test_the_demo_group_has_members_in_debt_and_in_credit(regie_runtime, make_establishment):
    place = make_establishment("amap-demo", plugins=["coop"])
    with regie_runtime.db.transaction() as session:
        fill(session, session.get(Establishment, place.id))
    with regie_runtime.db.session() as session:
        members = list(session.scalars(select(Member)))
        distributions = list(session.scalars(select(Distribution)))
        assert len(members) == 30 and len(distributions) == 4
        assert sum(1 for d in distributions if d.validated_at) == 2
        assert any(m.balance > 0 for m in members) and any(m.balance < 0 for m in members)
        assert ledger.verify(session, session.get(Establishment, place.id)).ok
