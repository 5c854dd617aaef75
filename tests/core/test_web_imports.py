"""The Imports page of an establishment: its modules' sync sources, a file run through one from
the browser, and past runs with their reject files."""

from __future__ import annotations

import io

import pytest
from data import payers_source


@pytest.fixture(scope="module")
def regie_engine():
    return payers_source.engine()


@pytest.fixture(autouse=True)
def english(client):
    with client.session_transaction() as session:
        session["lang"] = "en"


@pytest.fixture
def school(make_establishment):
    return make_establishment(slug="ecole", name="École Jaurès")


@pytest.fixture
def manager(signed_in, make_user, school):
    return signed_in(make_user("manon", roles={school: ["manager"]}))


def upload(client, name: str, content: bytes):
    return client.submit("/ecole/admin/imports", {"file": (io.BytesIO(content), name)},
                         action="/ecole/admin/imports/test_payers",
                         content_type="multipart/form-data", follow_redirects=True)


def test_a_file_is_imported_from_the_page_and_listed_with_its_counts(manager):
    page = manager.get("/ecole/admin/imports").get_data(as_text=True)
    assert "Payers" in page and "Nothing was imported here yet." in page

    done = upload(manager, "payers.csv", b"1;Dupont\n2;Martin\n").get_data(as_text=True)

    assert "payers.csv: 2 imported, 0 unchanged, 0 refused." in done
    assert 'badge badge-success">succeeded' in done
    assert "last success:" in done


def test_refused_lines_are_reported_with_a_reject_file_to_download(manager):
    done = upload(manager, "payers.csv", b"1;Dupont\nX;Martin\n").get_data(as_text=True)

    assert 'badge badge-warning">rejected' in done
    link = done.split('href="/ecole/documents/')[1].split('"')[0]
    rejects = manager.get(f"/ecole/documents/{link}")
    assert rejects.status_code == 200
    assert "the number 'X' is not a number" in rejects.get_data(as_text=True)


def test_a_file_of_another_kind_is_refused_with_the_reason(manager):
    done = upload(manager, "payers.pdf", b"%PDF-1.4").get_data(as_text=True)

    assert "Payers reads .csv .txt files, not payers.pdf" in done


def test_a_form_without_a_file_is_shown_again_with_the_error(manager):
    answer = manager.submit("/ecole/admin/imports", {},
                            action="/ecole/admin/imports/test_payers")

    assert answer.status_code == 422
    assert "Choose a file." in answer.get_data(as_text=True)


def test_members_without_the_right_cannot_import(signed_in, make_user, school):
    cashier = signed_in(make_user("caisse", roles={school: ["cashier"]}))

    assert cashier.get("/ecole/admin/imports").status_code == 403
