"""A parent pays a payment request by card through the Paybox simulator, and the account's
balance moves when Paybox's notification arrives, not before."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from regie.api import (
    create_payment_request,
    find_payments,
    open_account,
    payment_request_link,
)
from regie.config import load_config
from regie.db.models import Establishment
from regie_paybox.operations import simulate_ipn
from regie_paybox.settings import TEST_HMAC_KEY
from regie_paybox.simulator import Simulator

pytestmark = pytest.mark.browser

SLUG = "ecole-jaures"


class _Dispatcher:
    """Bound before the app exists, so the instance's base_url (used in PBX_REPONDRE_A and the
    return URLs) can name the real port."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


def _serve(app) -> Iterator[tuple[object, str]]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def _regie_server():
    yield from _serve(_Dispatcher())


@pytest.fixture
def regie_config(tmp_path, regie_test_database, _regie_server):
    return load_config(tmp_path, environ={}, secret_key="test-secret-key",
                       database_url=regie_test_database.url_for_test(tmp_path),
                       tasks_url=f"sqlite:///{tmp_path / 'tasks.db'}",
                       base_url=_regie_server[1])


@pytest.fixture
def live_server(regie_runtime, _regie_server) -> str:
    from regie.web import create_app

    dispatcher, url = _regie_server
    dispatcher.app = create_app(runtime=regie_runtime)
    return url


@pytest.fixture
def simulator() -> Iterator[str]:
    for _app, url in _serve(Simulator(hmac_key=TEST_HMAC_KEY)):
        yield url


def _request(regie_runtime, place, amount: int) -> tuple[int, str]:
    with regie_runtime.db.transaction() as session:
        establishment = session.get(Establishment, place.id)
        account = open_account(session, establishment, kind="test.pupil", owner_key="1234",
                               label="Zoé Martin")
        request = create_payment_request(session, regie_runtime, establishment,
                                         account=account, amount=amount,
                                         description="Cantine de mars",
                                         payer_email="parent@example.org")
        return account.id, payment_request_link(regie_runtime, establishment, request)


def _balance(page, account_id: int) -> str:
    page.goto(f"/{SLUG}/accounts/{account_id}")
    return page.locator(".stat-value").first.inner_text()


def test_payer_pays_a_request_through_the_simulator(
        new_page, sign_in, make_establishment, make_user, regie_runtime, simulator, artifacts):
    place = make_establishment(SLUG, name="École Jean Jaurès", plugins={"payments_paybox": {
        "hosts": simulator, "ppps_urls": f"{simulator}/PPPS.php"}})
    account_id, link = _request(regie_runtime, place, 1250)
    manager = make_user(roles={place: ["manager"]})
    staff = new_page()
    sign_in(staff, manager.username)
    assert _balance(staff, account_id).startswith("0,00")

    payer = new_page()
    payer.goto(link)
    assert "12,50" in payer.locator(".stat-value").inner_text()
    payer.locator("button[name=method][value=paybox]").click()
    payer.wait_for_url(f"{simulator}/cgi/**")
    assert payer.locator("#reference").inner_text()
    assert "12,50 EUR" in payer.locator("#amount").inner_text()
    payer.screenshot(path=artifacts / "paybox-simulator-page.png", full_page=True)
    payer.locator("input[name=lose_ipn]").check()
    payer.locator("#pay").click()
    payer.wait_for_url(f"**/{SLUG}/pay/return/**")
    card = payer.locator("section[data-state]")
    assert card.get_attribute("data-state") == "pending", "a browser return confirms nothing"
    assert _balance(staff, account_id).startswith("0,00")

    with regie_runtime.db.session() as session:
        [payment] = find_payments(session, place.id, method="paybox")
    assert simulate_ipn(regie_runtime, SLUG, payment.reference) == [200]

    payer.locator(f"main a[href='{urlsplit(payer.url).path}']").click()  # "check again"
    payer.wait_for_load_state()
    assert payer.locator("section[data-state]").get_attribute("data-state") == "succeeded"
    payer.screenshot(path=artifacts / "paybox-return-succeeded.png", full_page=True)
    assert _balance(staff, account_id).startswith("12,50")


def test_refused_then_paid_with_the_notifications_of_the_simulator(
        new_page, sign_in, make_establishment, make_user, regie_runtime, simulator):
    place = make_establishment(SLUG, name="École Jean Jaurès",
                               plugins={"payments_paybox": {"hosts": simulator}})
    account_id, link = _request(regie_runtime, place, 800)
    payer = new_page()
    payer.goto(link)
    payer.locator("button[name=method][value=paybox]").click()
    payer.wait_for_url(f"{simulator}/cgi/**")
    payer.locator("#refuse").click()
    payer.wait_for_url(f"**/{SLUG}/pay/return/**")
    assert payer.locator("section[data-state]").get_attribute("data-state") == "failed"

    payer.locator(f"main a[href$='/pay/{link.rsplit('/', 1)[1]}']").click()  # "try again"
    payer.locator("button[name=method][value=paybox]").click()
    payer.wait_for_url(f"{simulator}/cgi/**")
    payer.locator("#pay").click()
    payer.wait_for_url(f"**/{SLUG}/pay/return/**")
    assert payer.locator("section[data-state]").get_attribute("data-state") == "succeeded"

    staff = new_page()
    sign_in(staff, make_user(roles={place: ["manager"]}).username)
    assert _balance(staff, account_id).startswith("8,00")
