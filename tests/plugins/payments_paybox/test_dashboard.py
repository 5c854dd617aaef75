"""The last Paybox reconciliation on the establishment's home: its counts for members who may
see payments, its details page, and the way to it from the school canteen's page."""

from __future__ import annotations

import pytest

from regie_paybox import operations

from .conftest import SLUG
from .test_reconcile import export

HOME = f"/{SLUG}/"
DETAILS = f"/{SLUG}/payments_paybox/reconciliation"


@pytest.fixture
def paybox_place(make_establishment):
    """A school in English with Paybox and the canteen on."""
    return make_establishment(SLUG, plugins={"payments_paybox": {}, "reservation": {}},
                              locale="en")


@pytest.fixture
def compared(paybox_place, new_payment, regie_runtime):
    """A comparison with the back-office export: one payment Paybox took that Régie does not
    know (100), one Régie still has as pending (98)."""
    new_payment(paybox_place, 800, reference="98")
    operations.reconcile_export(regie_runtime, SLUG, export(
        "98;8,00;03/03/2026;Capturé;1002", "100;5,00;03/03/2026;Capturé;1003"))
    return paybox_place


def stat(page: str, label: str) -> str:
    """The figure of the dashboard's stat labelled ``label``."""
    before = page[:page.index(f'<span class="stat-label">{label}</span>')]
    return before[before.rindex('<span class="stat-value">') + 25:].removesuffix("</span>")


def test_the_home_shows_the_last_reconciliation_to_those_who_see_payments(signed_in, compared):
    page = signed_in(roles={compared: ["cashier"]}).get(HOME).get_data(as_text=True)
    assert "Paybox reconciliation" in page
    assert "Comparison with the Paybox back-office export" in page
    assert [stat(page, label) for label in ("at Paybox only", "in Régie only", "differing")] == [
        "1", "0", "1"]
    assert f'href="{DETAILS}"' in page


def test_the_details_page_lists_what_differs(signed_in, compared):
    response = signed_in(roles={compared: ["cashier"]}).get(DETAILS)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "At Paybox, not in Régie (1)" in page and "Amount or state differs (1)" in page
    assert "€5.00" in page and "1003" in page


def test_the_newest_run_is_the_one_shown(signed_in, compared, regie_runtime):
    operations.reconcile_pending(regie_runtime, compared)
    page = signed_in(roles={compared: ["cashier"]}).get(HOME).get_data(as_text=True)
    assert "Paybox Direct inquiry of the pending payments" in page
    assert stat(page, "differing") == "0"


def test_members_who_do_not_see_payments_get_neither_panel_nor_page(signed_in, compared):
    client = signed_in(roles={compared: ["reservation.staff"]})
    assert "Paybox reconciliation" not in client.get(HOME).get_data(as_text=True)
    assert client.get(DETAILS).status_code == 403
    canteen = client.get(f"/{SLUG}/reservation/").get_data(as_text=True)
    assert DETAILS not in canteen


def test_before_any_run_the_panel_says_so(signed_in, paybox_place):
    client = signed_in(roles={paybox_place: ["manager"]})
    assert "No reconciliation has run yet" in client.get(HOME).get_data(as_text=True)
    details = client.get(DETAILS).get_data(as_text=True)
    assert "No reconciliation has run yet" in details
    assert f'href="/{SLUG}/payments_paybox/"' in details


def test_the_canteen_page_leads_to_the_details(signed_in, compared):
    client = signed_in(roles={compared: ["cashier", "reservation.staff"]})
    canteen = client.get(f"/{SLUG}/reservation/").get_data(as_text=True)
    assert f'href="{DETAILS}"' in canteen
    assert "audit trail" not in canteen
