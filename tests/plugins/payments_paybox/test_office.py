"""The establishment's Paybox page: compare with the back-office export, record in one click."""

from __future__ import annotations

import io

import pytest

from regie.db.money import LedgerAccount, Payment
from regie.testing import form_fields

from .conftest import SLUG
from .test_reconcile import export

PAGE = f"/{SLUG}/payments_paybox/"


@pytest.fixture
def paybox_place(make_establishment):
    """In English, so the page's words are the source strings whatever the catalogs hold."""
    return make_establishment(SLUG, plugins={"payments_paybox": {}}, locale="en")


def test_compare_then_record_the_missing_payment(signed_in, paybox_place, new_payment,
                                                 session):
    missed = new_payment(paybox_place, 800, reference="98")
    client = signed_in(roles={paybox_place: ["manager"]})
    page = client.get(PAGE).get_data(as_text=True)
    assert "1999888/32" in page and "Test: no real money" in page

    content = export("98;8,00;03/03/2026;Capturé;1002", "100;5,00;03/03/2026;Capturé;1003",
                     encoding="latin-1")
    result = client.submit(PAGE, {"export": (io.BytesIO(content), "export.csv")},
                           content_type="multipart/form-data")
    html = result.get_data(as_text=True)
    assert result.status_code == 200
    assert "At Paybox, not in Régie (1)" in html and "Amount or state differs (1)" in html
    assert "Paybox took 1 payment that is not recorded as paid here." in html
    session.rollback()
    assert session.get(Payment, missed.id).state == "pending", "comparing records nothing"

    fields = form_fields(html[html.index('id="report"'):])
    recorded = client.post(f"{PAGE}apply", data=fields)
    assert recorded.status_code == 200
    assert "Recorded now (1)" in recorded.get_data(as_text=True)
    session.rollback()
    assert session.get(Payment, missed.id).state == "succeeded"
    assert session.get(LedgerAccount, missed.account_id).balance == 800

    again = client.post(f"{PAGE}apply", data=fields)
    assert "Recorded now (0)" in again.get_data(as_text=True)
    session.rollback()
    assert session.get(LedgerAccount, missed.account_id).balance == 800


def test_a_bad_export_is_explained(signed_in, paybox_place):
    client = signed_in(roles={paybox_place: ["manager"]})
    result = client.submit(PAGE, {"export": (io.BytesIO(b"Quoi;Combien\nx;1\n"), "x.csv")},
                           content_type="multipart/form-data")
    assert result.status_code == 200
    assert "has no column for reference, amount" in result.get_data(as_text=True)


def test_the_page_needs_the_permission(signed_in, paybox_place, make_establishment):
    client = signed_in(roles={paybox_place: ["auditor"]})
    assert client.get(PAGE).status_code == 403
    assert client.post(f"{PAGE}apply", data={}).status_code in (400, 403)


def test_apply_without_csrf_is_refused(signed_in, paybox_place):
    client = signed_in(roles={paybox_place: ["manager"]})
    assert client.post(f"{PAGE}apply", data={"content": "eA=="}).status_code == 400
