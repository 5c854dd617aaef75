"""The co-op's pages: a member orders, a coordinator validates, counts and follows balances."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from regie.api import Establishment, Veto
from regie.services import establishments
from regie_coop import accounts
from regie_coop.models import Distribution, Member, Operation, Order

from .conftest import SLUG, member_balance

BASE = f"/{SLUG}/coop"


@pytest.fixture
def coordinator(group, make_user):
    return make_user("coordinator", roles={group: ["coop.coordinator"]})


@pytest.fixture
def alice(group, make_user, make_member):
    user = make_user("alice", roles={group: ["coop.member"]})
    return make_member("Alice Martin", user_id=user.id)


def sign_in(client, username):
    """``client``'s app signed in as ``username``, in a client of its own (cookies apart)."""
    own = client.application.test_client()
    assert own.sign_in(username, "correct horse battery staple").status_code == 302
    return own


def test_a_coordinator_adds_members_and_products_and_bad_input_is_explained(
        client, coordinator, group, regie_runtime, make_user):
    make_user("bob", roles={group: ["coop.member"]})
    client = sign_in(client, "coordinator")
    refused = client.submit(f"{BASE}/members/new", {"name": "Nobody", "username": "nobody"})
    assert refused.status_code == 422
    assert "no user &#39;nobody&#39;" in refused.get_data(as_text=True)
    unnamed = client.submit(f"{BASE}/members/new", {"name": " "})
    assert "is required" in unnamed.get_data(as_text=True)
    made = client.submit(f"{BASE}/members/new", {"name": "Bob Petit", "username": "bob"})
    assert made.status_code == 302
    member_url = made.headers["Location"]
    again = client.submit(f"{BASE}/members/new", {"name": "Bob again", "username": "bob"})
    assert "already a member" in again.get_data(as_text=True)
    zero = client.submit(member_url, {"action": "membership", "amount": "0"})
    assert zero.status_code == 422 and "must be more than zero" in zero.get_data(as_text=True)
    client.submit(member_url, {"action": "carry_over", "amount": "-12,50"})
    client.submit(member_url, {"action": "membership", "amount": "15"})
    statement = client.get(member_url).get_data(as_text=True)
    assert "Balance carry-over" in statement and "Membership fee" in statement
    with regie_runtime.db.session() as session:
        assert session.scalar(select(Member.balance).where(Member.name == "Bob Petit")) == -2750
    bad_price = client.submit(f"{BASE}/products", {"name": "Eggs", "unit_price": "-2"})
    assert "must be more than zero" in bad_price.get_data(as_text=True)
    assert client.submit(f"{BASE}/products", {"name": "Eggs", "unit_price": "2,50"}
                         ).status_code == 302
    assert "Eggs" in client.get(f"{BASE}/products").get_data(as_text=True)


def test_a_member_orders_cannot_reduce_and_sees_only_their_own_account(
        client, alice, coordinator, make_distribution, products, regie_runtime):
    distribution_id = make_distribution(days=2)
    client = sign_in(client, "alice")
    url = f"{BASE}/distributions/{distribution_id}/order"
    assert client.submit(url, {f"product_{products['eggs']}": "2", "method": "cheque"}
                         ).status_code == 302
    reduced = client.submit(url, {f"product_{products['eggs']}": "1", "method": "cheque"})
    assert reduced.status_code == 422
    assert "cannot be reduced" in reduced.get_data(as_text=True)
    added = client.submit(url, {f"product_{products['eggs']}": "2",
                                f"product_{products['carrots']}": "1,5", "method": "cash"})
    assert added.status_code == 302
    assert member_balance(regie_runtime, alice) == -500 - 500
    page = client.get(f"{BASE}/account").get_data(as_text=True)
    assert "Order for" in page and "pending" in page
    assert client.get(f"{BASE}/balances").status_code == 403
    assert client.get(f"{BASE}/distributions/{distribution_id}").status_code == 403


def test_an_online_order_sends_the_member_to_the_core_payment_page(
        client, alice, make_distribution, products, regie_runtime):
    distribution_id = make_distribution(days=2)
    client = sign_in(client, "alice")
    sent = client.submit(f"{BASE}/distributions/{distribution_id}/order",
                         {f"product_{products['bread']}": "1", "method": "online"})
    assert sent.status_code == 302 and f"/{SLUG}/pay/" in sent.headers["Location"]
    assert member_balance(regie_runtime, alice) == -420, "not credited before the notification"
    account = client.get(f"{BASE}/account").get_data(as_text=True)
    assert "Pay now" in account and sent.headers["Location"] in account, "can pay it later"


def test_validation_resolving_on_the_spot_as_cheque_and_the_counter(
        client, alice, coordinator, make_distribution, products, regie_runtime, transaction):
    distribution_id = make_distribution(days=0)
    client = sign_in(client, "alice")
    client.submit(f"{BASE}/distributions/{distribution_id}/order",
                  {f"product_{products['eggs']}": "2", "method": "cheque"})
    client = sign_in(client, "coordinator")
    page = f"{BASE}/distributions/{distribution_id}"
    refused = client.submit(page, {}, action=f"{page}/validate", follow_redirects=True)
    assert "Say how these members paid on the spot" in refused.get_data(as_text=True)
    with regie_runtime.db.session() as session:
        operation = session.scalar(select(Operation).where(Operation.pending.is_(True)))
    member_page = f"{page}/members/{alice}"
    incomplete = client.submit(member_page, {"action": "resolve", "operation": operation.id,
                                             "real_type": "wire"})
    assert incomplete.status_code == 422
    client.submit(member_page, {"action": "resolve", "operation": operation.id,
                                "real_type": "cheque", "number": "0012345",
                                "bank": "La Banque Postale"})
    client.submit(f"{page}/counter", {"opening_float": "50"})
    client.submit(member_page, {"action": "payment", "method": "cash", "amount": "3"})
    done = client.submit(page, {}, action=f"{page}/validate", follow_redirects=True)
    assert "Distribution validated: 1 payment(s) recorded." in done.get_data(as_text=True)
    assert member_balance(regie_runtime, alice) == 300
    counter = client.get(f"{page}/counter").get_data(as_text=True)
    assert "€53.00" in counter, "the drawer holds the float and the cash taken"
    assert "overpaid" in counter
    refund_form = client.get(member_page).get_data(as_text=True)
    assert 'value="3.00"' in refund_form, "the refund is prefilled with the overpaid amount"
    client.submit(member_page, {"action": "refund", "amount": "3.00"})
    assert member_balance(regie_runtime, alice) == 0
    exported = client.get(f"{page}/counter.csv")
    text = exported.get_data(as_text=True)
    assert text.startswith("\ufeff") and ";" in text
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert ["The drawer should hold", "5000"] in rows, "the refund was handed back in cash"
    assert ["Cheque total", "500"] in rows
    with regie_runtime.db.session() as session:
        assert session.scalars(select(Order)).one().paid
    undone = client.submit(page, {}, action=f"{page}/undo", follow_redirects=True)
    assert "Validation undone" in undone.get_data(as_text=True)
    with regie_runtime.db.session() as session:
        assert session.scalars(select(Distribution)).one().validated_at is None


def test_balances_are_filtered_sorted_paginated_and_exported_safely(
        client, coordinator, make_member, regie_runtime):
    make_member("=HYPERLINK(\"http://evil\")", carry_over=-700)
    make_member("Zoé Credit", carry_over=2500)
    make_member("Anne Zero")
    client = sign_in(client, "coordinator")
    debt = client.get(f"{BASE}/balances?show=debt").get_data(as_text=True)
    assert "HYPERLINK" in debt and "Zoé" not in debt and "Anne" not in debt
    by_balance = client.get(f"{BASE}/balances?sort=balance&desc=1").get_data(as_text=True)
    assert by_balance.index("Zoé") < by_balance.index("Anne") < by_balance.index("HYPERLINK")
    exported = client.get(f"{BASE}/balances.csv?sort=balance").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(exported.lstrip("\ufeff")), delimiter=";"))
    assert rows[1][1] == "'=HYPERLINK(\"http://evil\")" and rows[1][3] == "-700"
    for number in range(60):
        make_member(f"Member {number:02d}")
    first = client.get(f"{BASE}/balances").get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert "Member 59" in client.get(f"{BASE}/balances?page=2").get_data(as_text=True)


def test_the_money_pot_with_other_methods_is_refused_with_a_clear_message(
        regie_runtime, group, make_establishment):
    with pytest.raises(Veto, match="untick either the money pot or the other methods"):
        make_establishment("amap-cagnotte", plugins={
            "coop": {"method_money_pot": True, "method_cash": True}})
    with regie_runtime.db.transaction() as session:
        place = session.get(Establishment, group.id)
        with pytest.raises(Veto, match="money pot cannot be offered together"):
            establishments.update_settings(session, regie_runtime.engine, place, "coop",
                                           {"method_money_pot": True})


def test_the_settings_page_explains_why_the_money_pot_is_refused(client, group, make_user,
                                                                 regie_runtime):
    make_user("manager", roles={group: ["manager"]})
    manager = sign_in(client, "manager")
    page = f"/{SLUG}/admin/modules/coop/settings"
    refused = manager.submit(page, {"setting_method_money_pot": "y", "setting_method_cash": "y"})
    assert "untick either the money pot or the other methods" in refused.get_data(as_text=True)
    with regie_runtime.db.session() as session:
        stored = establishments.enabled_plugins(session.get(Establishment, group.id),
                                                regie_runtime.engine)["coop"]
    assert not stored.get("method_money_pot"), "nothing saved"


def test_paying_a_debt_online_checks_the_amount_and_goes_to_the_payment_page(
        client, alice, transaction, regie_runtime):
    with transaction() as (session, place):
        accounts.add_debt(session, place, session.get(Member, alice), "membership", 1500)
    member = sign_in(client, "alice")
    refused = member.submit(f"{BASE}/account", {"amount": "-3"}, action=f"{BASE}/account/pay")
    assert refused.status_code == 422 and "must be more than zero" in refused.get_data(
        as_text=True)
    sent = member.submit(f"{BASE}/account", {"amount": "15"}, action=f"{BASE}/account/pay")
    assert sent.status_code == 302 and f"/{SLUG}/pay/" in sent.headers["Location"]
    assert member_balance(regie_runtime, alice) == -1500
