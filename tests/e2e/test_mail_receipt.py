"""In a browser: a cashier sends a receipt by mail from the sending assistant and it arrives,
PDF attached; a manager writes a template with the placeholder picker and the live preview."""

from __future__ import annotations

import pytest

from regie.db.models import Establishment
from regie.services import establishments, ledger, payments
from regie.services.mail import checks

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(make_establishment, smtp_server, regie_runtime):
    created = make_establishment(slug="brico", name="Brico", locale="en", plugins={
        "mail_smtp": {**smtp_server.smtp_settings(), "sender_address": "caisse@brico.example"}})
    with regie_runtime.db.session() as session:
        establishment = establishments.by_slug(session, created.slug)
    assert checks.send_test(regie_runtime, establishment, "owner@brico.example").ok
    smtp_server.clear()
    return establishment


def paid(runtime, shop) -> int:
    with runtime.db.transaction() as session:
        establishment = session.get(Establishment, shop.id)
        account = ledger.open_account(session, establishment, kind="customer", owner_key="c1",
                                      label="Client")
        payment = payments.create_payment(session, runtime, establishment, account=account,
                                          amount=1250, method="cash", payer_name="Mme Martin",
                                          payer_email="martin@example.org",
                                          description="Peinture")
        payments.succeed_or_review(session, runtime, establishment, payment, actor=None)
        return payment.id


def test_a_receipt_sent_from_the_assistant_arrives_with_its_pdf(
        new_page, sign_in, shop, make_user, smtp_server, regie_runtime, tmp_path):
    cashier = make_user(roles={shop: ["manager"]})
    payment_id = paid(regie_runtime, shop)
    plan = tmp_path / "plan.txt"
    plan.write_text("Rayon peinture, allée 4")
    page = new_page()
    sign_in(page, cashier.username)

    page.goto(f"/brico/mail/receipts/{payment_id}")
    recipients = page.locator("input[name=recipients]")
    assert recipients.input_value() == "martin@example.org"
    assert page.get_by_text("(always attached)").is_visible()
    recipients.fill("martin@example.org; compta@brico.example")
    page.locator("input[name=attachments]").set_input_files(str(plan))
    page.get_by_role("button", name="Send").click()
    page.wait_for_load_state()

    assert "Mail sent" in page.locator(".flash").first.inner_text()
    (received,) = smtp_server.wait_for(1)
    assert received.rcpt_tos == ("martin@example.org", "compta@brico.example")
    attachments = {part.get_filename(): part for part in received.message.iter_attachments()}
    pdf = next(part for name, part in attachments.items() if name.endswith(".pdf"))
    assert pdf.get_content().startswith(b"%PDF")
    assert attachments["plan.txt"].get_payload(decode=True) == plan.read_bytes()


def test_the_template_editor_inserts_placeholders_and_previews_live(
        new_page, sign_in, shop, make_user):
    manager = make_user(roles={shop: ["manager"]})
    page = new_page()
    sign_in(page, manager.username)
    page.goto("/brico/mail/templates/receipt")

    body = page.locator("textarea[name=text_body]")
    body.fill("You were served by ")
    body.press("End")
    page.get_by_role("button", name="Cashier name").click()

    assert body.input_value() == "You were served by {{ cashier.name }}"
    page.locator("#preview .preview-text").filter(has_text="You were served by DUPOND").wait_for()
    body.fill("Broken {{ cashier.name.__class__ }}")
    page.locator("#preview").filter(has_text="outside the template's data").wait_for()
