"""The payment pages: back office for staff, and the payer's request and return pages.

Pages are in the default locale (French): amounts are typed and shown the French way. Messages
are found by their place in the page (field errors, flashes), so catalog wording may change.
"""

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from regie.db.models import Establishment
from regie.db.money import Payment, PaymentNotification, PaymentRequest
from regie.services import ledger, payments
from regie.services.providers import AutoSubmitForm, PaymentView
from regie.testing.payments import (
    FAKE_HOST,
    FAKE_METHOD,
    FakeAdapter,
    FakeOnlineProvider,
    engine_with_fake_method,
)
from regie.testing.plugin import PASSWORD

NBSP = "\u00a0"
CALLBACK = f"/callbacks/ecole/payments/notify/{FAKE_METHOD}"


@pytest.fixture(scope="module")
def regie_engine():
    return engine_with_fake_method()


@pytest.fixture
def school(make_establishment):
    return make_establishment(slug="ecole", name="École Jaurès")


@pytest.fixture
def account(regie_runtime, school):
    with regie_runtime.db.transaction() as session:
        return ledger.open_account(session, session.get(Establishment, school.id),
                                   kind="reservation.pupil", owner_key="1234",
                                   label="Alice Martin")


@pytest.fixture
def cashier(signed_in, school):
    return signed_in(roles={school: ["cashier"]})


@pytest.fixture
def accountant(signed_in, school):
    return signed_in(roles={school: ["accountant"]})


@pytest.fixture
def payer(app):
    return app.test_client()


def html(response) -> str:
    return response.get_data(as_text=True)


def field_error(page: str, field: str) -> str:
    """The error shown beside ``field``, or an empty string."""
    match = re.search(rf'id="{field}-error">(.*?)</p>', page, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


def flash(page: str, category: str = "success") -> bool:
    return f'class="flash flash-{category}"' in page


def payment_rows(runtime):
    with runtime.db.session() as session:
        return list(session.scalars(select(Payment).order_by(Payment.id)))


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_a_cheque_form_redisplays_every_error_then_records(cashier, account, regie_runtime):
    url = "/ecole/payments/new?method=cheque"
    refused = cashier.submit(url, {"account": "reservation.pupil:1234", "amount": "12,505",
                                   "detail_number": "12a", "detail_bank": ""})
    page = html(refused)
    assert refused.status_code == 400
    assert "2" in field_error(page, "amount")
    assert field_error(page, "detail_number") and field_error(page, "detail_bank")
    assert 'value="12,505"' in page and 'value="reservation.pupil:1234"' in page
    assert 'value="12a"' in page
    assert payment_rows(regie_runtime) == []
    done = cashier.submit(url, {"account": "1", "amount": "12,50", "detail_number": "1234567",
                                "detail_bank": "La Banque Postale", "reference": "97"})
    assert done.status_code == 302
    detail = html(cashier.get(done.headers["Location"]))
    assert flash(detail) and f"12,50{NBSP}€" in detail and "La Banque Postale" in detail
    [payment] = payment_rows(regie_runtime)
    assert (payment.reference, payment.receipt_number, payment.state) == ("97", 1, "succeeded")
    statement = html(cashier.get(f"/ecole/accounts/{account.id}"))
    assert "Alice Martin" in statement and statement.count(f"12,50{NBSP}€") >= 2


def test_an_unknown_account_and_a_bad_amount_are_both_reported(cashier, account,
                                                               regie_runtime):
    refused = cashier.submit("/ecole/payments/new?method=card_on_site",
                             {"account": "reservation.pupil:999", "amount": "douze"})
    page = html(refused)
    assert refused.status_code == 400
    assert "reservation.pupil:999" in field_error(page, "account")
    assert "douze" in field_error(page, "amount")
    assert field_error(page, "detail_slip_number")
    assert payment_rows(regie_runtime) == []


def test_a_reference_already_used_is_refused_with_the_existing_number(cashier, account,
                                                                       regie_runtime):
    cashier.submit("/ecole/payments/new?method=cash", {"account": "1", "amount": "5",
                                                       "reference": "97"})
    again = cashier.submit("/ecole/payments/new?method=cash", {"account": "1", "amount": "5",
                                                               "reference": "97"})
    assert again.status_code == 400
    message = field_error(html(again), "reference")
    assert "1" in message and "97" in message
    assert len(payment_rows(regie_runtime)) == 1


def test_the_list_filters_by_method_state_reference_and_period(cashier, account):
    for reference, method, extra in (("A-97", "cash", {}),
                                     ("B-12", "transfer", {"detail_transfer_reference": "x"})):
        assert cashier.submit(f"/ecole/payments/new?method={method}",
                              {"account": "1", "amount": "5", "reference": reference,
                               **extra}).status_code == 302

    def listed(query):
        return re.findall(r"<td>([AB]-\d+)</td>", html(cashier.get(f"/ecole/payments/?{query}")))

    assert listed("") == ["B-12", "A-97"]
    assert listed("method=cash") == ["A-97"]
    assert listed("reference=12") == ["B-12"]
    assert listed("state=failed") == []
    assert listed("start=2000-01-01&end=2000-01-31") == []
    assert listed("start=not-a-date") == ["B-12", "A-97"]


def signed_in_client(app, make_user, roles=None):
    user = make_user(roles=roles or {})
    client = app.test_client()
    assert client.sign_in(user.username, PASSWORD).status_code == 302
    return client


def test_pages_follow_the_roles(app, make_user, school, account):
    assert app.test_client().get("/ecole/payments/").status_code == 302
    assert signed_in_client(app, make_user).get("/ecole/payments/").status_code == 404
    auditor = signed_in_client(app, make_user, {school: ["auditor"]})
    assert auditor.get("/ecole/payments/").status_code == 403
    cashier = signed_in_client(app, make_user, {school: ["cashier"]})
    assert 'href="/ecole/payments/"' in html(cashier.get("/ecole/"))
    assert cashier.get("/ecole/payments/review").status_code == 200
    token = csrf(html(cashier.get("/ecole/payments/new")))
    assert cashier.post("/ecole/payments/1/refund", data={"csrf_token": token}).status_code == 403


def create_request(client, amount="30,00"):
    response = client.submit("/ecole/payments/requests/new", {
        "account": "reservation.pupil:1234", "amount": amount,
        "description": "Cantine novembre", "payer_email": "parent@example.org"})
    assert response.status_code == 302, html(response)
    page = html(client.get(response.headers["Location"]))
    return urlsplit(re.search(r'id="link" value="([^"]+)"', page).group(1)).path


def test_a_payer_pays_a_request_online_and_sees_the_state_the_server_knows(
        accountant, payer, account, regie_runtime):
    path = create_request(accountant)
    assert "Cantine novembre" in html(accountant.get("/ecole/payments/requests/"))
    assert "Alice Martin" in html(accountant.get("/ecole/accounts/?q=alice"))
    assert "Alice Martin" not in html(accountant.get("/ecole/accounts/?q=bob"))
    page = payer.get(path)
    assert page.status_code == 200
    assert "Cantine novembre" in html(page) and f"30,00{NBSP}€" in html(page)
    started = payer.post(path, data={"csrf_token": csrf(html(page)), "method": FAKE_METHOD})
    assert started.status_code == 303 and started.headers["Location"].startswith(FAKE_HOST)
    [payment] = payment_rows(regie_runtime)
    assert (payment.state, payment.amount, payment.request_id) == ("pending", 3000, 1)

    returned = f"/ecole/pay/return/{payment.token}/succeeded"
    claim = FakeAdapter().browser_return(payments.payment_view(payment), "succeeded")
    waiting = html(payer.get(f"{returned}?{claim.query_string.decode()}"))
    assert 'data-state="pending"' in waiting and flash(waiting, "warning")
    assert payment_rows(regie_runtime)[0].state == "pending"

    raw = FakeAdapter().notification(payments.payment_view(payment), "succeeded")
    answer = payer.get(f"{CALLBACK}?{raw.query_string.decode()}")
    assert (answer.status_code, answer.data) == (200, b"")
    assert "Set-Cookie" not in answer.headers
    done = html(payer.get(returned))
    assert 'data-state="succeeded"' in done and flash(done)
    assert flash(html(payer.get(path)))
    with regie_runtime.db.session() as session:
        assert session.scalar(select(PaymentRequest.state)) == "paid"
        assert ledger.account_by_id(session, account.establishment_id,
                                    account.id).balance == 3000


def test_a_provider_form_is_auto_submitted_with_its_host_allowed(accountant, payer, account,
                                                                 monkeypatch):
    monkeypatch.setattr(FakeOnlineProvider, "start", lambda self, payment, urls: AutoSubmitForm(
        "https://secure.fake-bank.test/cgi/pay", (("REF", payment.reference), ("SIGN", "a&b"))))
    path = create_request(accountant)
    page = payer.post(path, data={"csrf_token": csrf(html(payer.get(path))),
                                  "method": FAKE_METHOD})
    assert page.status_code == 200
    assert 'action="https://secure.fake-bank.test/cgi/pay"' in html(page)
    assert 'value="a&amp;b"' in html(page) and "autosubmit.js" in html(page)
    assert "form-action 'self' https://secure.fake-bank.test" in page.headers[
        "Content-Security-Policy"]


def test_payer_pages_refuse_what_cannot_be_paid(accountant, payer, account, regie_runtime):
    assert payer.get("/ecole/pay/no-such-token").status_code == 404
    path = create_request(accountant)
    refused = payer.post(path, data={"csrf_token": csrf(html(payer.get(path))),
                                     "method": "cash"})
    assert refused.status_code == 400 and 'class="form-errors"' in html(refused)
    with regie_runtime.db.session() as session:
        request_id = session.scalar(select(PaymentRequest.id))
    accountant.submit(f"/ecole/payments/requests/{request_id}", {},
                      action=f"/ecole/payments/requests/{request_id}/cancel")
    closed = html(payer.get(path))
    assert 'name="method"' not in closed and 'class="notice"' in closed
    assert payer.get("/ecole/pay/return/whatever/succeeded").status_code == 404
    assert payment_rows(regie_runtime) == []


def pending_online(runtime, account, amount=1250):
    with runtime.db.transaction() as session:
        place = session.get(Establishment, account.establishment_id)
        return payments.payment_view(payments.create_payment(
            session, runtime, place, account=account, amount=amount, method=FAKE_METHOD))


def test_review_queue_accepts_a_mismatch_and_dismisses_an_unknown_reference(
        accountant, payer, account, regie_runtime):
    view = pending_online(regie_runtime, account)
    adapter = FakeAdapter()
    short = adapter.notification(view, "succeeded", amount=1200)
    payer.get(f"{CALLBACK}?{short.query_string.decode()}")
    stranger = adapter.notification(PaymentView(id=0, reference="GHOST-1", amount=700,
                                                currency="EUR"), "succeeded")
    payer.get(f"{CALLBACK}?{stranger.query_string.decode()}")
    queue = html(accountant.get("/ecole/payments/review"))
    assert "GHOST-1" in queue and f"/ecole/payments/{view.id}" in queue
    detail = html(accountant.get(f"/ecole/payments/{view.id}"))
    assert f"12,00{NBSP}€" in detail and f"12,50{NBSP}€" in detail
    without_note = accountant.submit(f"/ecole/payments/{view.id}", {"review-decision": "accept"},
                                     action=f"/ecole/payments/{view.id}/review")
    assert without_note.status_code == 400
    assert payment_rows(regie_runtime)[0].state == "needs_review"
    accepted = accountant.submit(f"/ecole/payments/{view.id}", {
        "review-decision": "accept", "review-note": "Relevé bancaire : 12,00 €"},
        action=f"/ecole/payments/{view.id}/review")
    assert accepted.status_code == 302
    assert (payment_rows(regie_runtime)[0].state, payment_rows(regie_runtime)[0].amount) == (
        "succeeded", 1200)
    failed = adapter.notification(PaymentView(id=0, reference="GHOST-2", amount=700,
                                              currency="EUR"), "failed")
    payer.get(f"{CALLBACK}?{failed.query_string.decode()}")
    with regie_runtime.db.session() as session:
        ids = dict(session.execute(select(PaymentNotification.reference,
                                          PaymentNotification.id)).all())
    queue = html(accountant.get("/ecole/payments/review"))
    assert f"/ecole/payments/notifications/{ids['GHOST-1']}/adopt" in queue
    assert f"/ecole/payments/notifications/{ids['GHOST-2']}/adopt" not in queue
    adopted = accountant.submit("/ecole/payments/review", {
        "account": "reservation.pupil:1234", "note": "ticket 7 au back-office du prestataire"},
        action=f"/ecole/payments/notifications/{ids['GHOST-1']}/adopt")
    assert adopted.status_code == 302 and "/ecole/payments/" in adopted.headers["Location"]
    accountant.submit("/ecole/payments/review", {"note": "paiement de test à la banque"},
                      action=f"/ecole/payments/notifications/{ids['GHOST-2']}/dismiss")
    queue = html(accountant.get("/ecole/payments/review"))
    assert "GHOST-1" not in queue and "GHOST-2" not in queue
    with regie_runtime.db.session() as session:
        assert ledger.account_by_id(session, account.establishment_id,
                                    account.id).balance == 1200 + 700


def test_the_notification_endpoint_answers_200_and_changes_nothing_for_a_forgery(
        payer, account, regie_runtime):
    view = pending_online(regie_runtime, account)
    forged = FakeAdapter().tamper(FakeAdapter().notification(view, "succeeded"))
    answer = payer.post(CALLBACK, data=forged.query_string, content_type="text/plain")
    assert (answer.status_code, answer.data) == (200, b"")
    assert payment_rows(regie_runtime)[0].state == "pending"
    with regie_runtime.db.session() as session:
        stored = session.scalar(select(PaymentNotification))
        assert (stored.status, stored.body) == ("rejected", forged.query_string)
    assert payer.get("/callbacks/ecole/payments/notify/cash").status_code == 404
    assert payer.get(f"/callbacks/nowhere/payments/notify/{FAKE_METHOD}").status_code == 404


def test_refund_and_cancel_from_the_detail_page(accountant, account, regie_runtime):
    accountant.submit("/ecole/payments/new?method=cash", {"account": "1", "amount": "10"})
    accountant.submit("/ecole/payments/new?method=cash", {"account": "1", "amount": "20"})
    too_much = accountant.submit("/ecole/payments/1", {"refund-amount": "11",
                                                       "refund-reason": "absent"},
                                 action="/ecole/payments/1/refund")
    assert too_much.status_code == 400 and f"10,00{NBSP}€" in field_error(html(too_much),
                                                                          "refund-amount")
    accountant.submit("/ecole/payments/1", {"refund-amount": "4", "refund-reason": "absent"},
                      action="/ecole/payments/1/refund")
    accountant.submit("/ecole/payments/2", {"cancel-reason": "mauvais élève"},
                      action="/ecole/payments/2/cancel")
    first, second = payment_rows(regie_runtime)
    assert (first.state, first.refunded_amount, second.state) == ("refunded", 400, "cancelled")
    assert f"6,00{NBSP}€" in html(accountant.get(f"/ecole/accounts/{account.id}"))


def test_a_payment_recorded_with_send_by_mail_opens_the_mail_assistant(cashier, account,
                                                                       regie_runtime, school):
    from regie.services.mail import settings as mail_settings

    url = "/ecole/payments/new?method=cash"
    assert 'name="send_receipt"' in html(cashier.get(url))
    assert 'name="send_receipt" type="checkbox" value="y" checked' not in html(cashier.get(url))
    with regie_runtime.db.transaction() as session:
        mail_settings.update(session, regie_runtime.engine,
                             session.get(Establishment, school.id), {"receipt_by_mail": "on"})
    assert "checked" in re.search(r"<input[^>]*send_receipt[^>]*>", html(cashier.get(url)))[0]

    done = cashier.submit(url, {"account": "1", "amount": "4,00", "send_receipt": "y"})
    [payment] = payment_rows(regie_runtime)
    assert done.headers["Location"].endswith(f"/ecole/mail/receipts/{payment.id}")
    assert cashier.get(done.headers["Location"]).status_code == 200
    plain = cashier.submit(url, {"account": "1", "amount": "5,00", "send_receipt": ""})
    assert "/ecole/payments/" in plain.headers["Location"]
    detail = html(cashier.get(plain.headers["Location"]))
    assert "/ecole/mail/receipts/" in detail, "the receipt panel offers to send it by mail"
