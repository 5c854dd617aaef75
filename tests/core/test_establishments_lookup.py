"""The establishment of a URL is found with all its plugins in one query (every page does it)."""

from sqlalchemy import event

from regie.db.models import Establishment, User
from regie.services import establishments


def test_by_slug_loads_every_enabled_plugin_in_one_query(regie_runtime, make_establishment):
    make_establishment(slug="four", plugins=["markets", "coop", "billpay", "reservation"])
    make_establishment(slug="other", plugins=["markets"])
    statements = []
    event.listen(regie_runtime.db.engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    with regie_runtime.db.session() as session:
        found = establishments.by_slug(session, "four")
        assert sorted(establishments.enabled_plugins(found)) == [
            "billpay", "coop", "markets", "reservation"]
    assert len([sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]) == 1


def _selects(regie_runtime) -> list[str]:
    statements = []
    event.listen(regie_runtime.db.engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    return statements


def test_member_visit_gives_the_session_s_own_objects(regie_runtime, make_establishment,
                                                      make_user):
    school = make_establishment(slug="ecole", plugins=["markets", "coop"],
                                logo=b"\x89PNG logo", logo_type="image/png")
    member = make_user(roles={school: ["manager", "cashier"]})
    statements = _selects(regie_runtime)
    with regie_runtime.db.session() as session:
        establishment, user, roles = establishments.member_visit(session, "ecole", member.id)
        assert roles == {"manager", "cashier"}
        assert session.get(User, member.id) is user
        assert session.get(Establishment, school.id) is establishment
        assert sorted(establishments.enabled_plugins(establishment)) == ["coop", "markets"]
        assert establishment.plugins[0].establishment is establishment
        assert len(statements) == 1
        assert not session.dirty and not session.new
        assert establishment.logo == b"\x89PNG logo"
        assert len(statements) == 2, "the logo is read when it is used"

        establishment.name = "École Jaurès"
        session.commit()
    with regie_runtime.db.session() as session:
        assert session.get(Establishment, school.id).name == "École Jaurès"


def test_member_visit_keeps_what_the_session_holds(regie_runtime, make_establishment,
                                                   make_user):
    school = make_establishment(slug="ecole", plugins=["markets"])
    stranger = make_user()
    with regie_runtime.db.session() as session:
        held = session.get(Establishment, school.id)
        held.name = "Changed, not saved"
        establishment, user, roles = establishments.member_visit(session, "ecole", stranger.id)
        assert establishment is held and establishment.name == "Changed, not saved"
        assert user.id == stranger.id and roles == set()
        assert establishments.member_visit(session, "ecole", 10**9).user is None
