"""The establishment of a URL is found with all its plugins in one query (every page does it)."""

from sqlalchemy import event

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
