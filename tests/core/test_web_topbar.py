"""The top bar is kept between pages (``regie.web.topbar``): each page still gets its own path
in the language switch, the session's CSRF token, and whatever changed since."""

from __future__ import annotations

import re

import pytest

from regie.db.models import User
from regie.services import users


@pytest.fixture(autouse=True)
def english(client):
    with client.session_transaction() as session:
        session["lang"] = "en"


def _page(client, url: str) -> str:
    response = client.get(url, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _topbar(html: str) -> str:
    return html[html.index('<header class="topbar">'):html.index("</header>")]


def test_each_page_comes_back_to_itself_and_posts_the_session_s_token(
        signed_in, make_user, make_establishment):
    school = make_establishment(slug="ecole", plugins=["markets"])
    client = signed_in(make_user(roles={school: ["manager"]}))
    for path in ("/ecole/", "/ecole/?tab=1&page=2", "/ecole/admin/modules"):
        topbar = _topbar(_page(client, path))
        assert re.findall(r'name="next" value="([^"]*)"', topbar) == [
            path.replace("&", "&amp;")] * 3
        tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', topbar))
        assert len(tokens) == 1 and "csrf-" not in tokens.pop()
    answer = client.post("/lang/uk", data={"csrf_token": client.csrf_token("/ecole/"),
                                            "next": "/ecole/"})
    assert answer.status_code == 302, "the token put in the kept top bar is accepted"


def test_the_current_page_and_the_user_s_changes_show_at_once(
        regie_runtime, signed_in, make_user, make_establishment):
    school = make_establishment(slug="ecole", plugins=["markets"])
    user = make_user("ada", full_name="Ada", roles={school: ["markets.regie"]})
    client = signed_in(user)
    home = _topbar(_page(client, "/ecole/"))
    assert 'href="/ecole/" aria-current="page"' in home and ">Ada<" in home
    assert 'href="/ecole/admin/"' not in home
    markets = _topbar(_page(client, "/ecole/markets/"))
    assert 'href="/ecole/markets/" aria-current="page"' in markets
    assert 'href="/ecole/" aria-current="page"' not in markets
    with regie_runtime.db.transaction() as session:
        row = session.get(User, user.id)
        row.full_name = "Ada Lovelace"
        users.grant(session, regie_runtime.engine, row, school, "manager")
    home = _topbar(_page(client, "/ecole/"))
    assert ">Ada Lovelace<" in home
    assert 'href="/ecole/admin/"' in home, "a new role opens the administration"
