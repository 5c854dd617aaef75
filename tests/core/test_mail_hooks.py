"""The mail hooks: regie_mail_transports (only the enabled plugins' transports are offered, and a
user may choose another protocol than the establishment's) and regie_mail_placeholders (document
types and placeholders a plugin declares drive the templates and their checks)."""

from __future__ import annotations

import email
import email.policy
import types

import pytest

from regie.api import MailDocumentType, MailPlaceholder, hookimpl
from regie.engine import Engine
from regie.services import establishments
from regie.services.errors import Veto
from regie.services.mail import checks, outbox, placeholders, templates
from regie.services.mail import settings as mail_settings


def reload(runtime, establishment):
    with runtime.db.session() as session:
        return establishments.by_slug(session, establishment.slug)


def test_regie_mail_transports_offers_those_of_the_enabled_plugins(
        make_establishment, regie_runtime, tmp_path):
    engine = regie_runtime.engine
    assert {item.code for item in engine.items("regie_mail_transports")} >= {"smtp", "mapi"}
    desk = reload(regie_runtime, make_establishment(
        plugins={"mail_mapi_stub": {"folder": str(tmp_path)}}))
    nothing = reload(regie_runtime, make_establishment())

    assert list(mail_settings.transports(engine, desk)) == ["mapi"]
    assert mail_settings.transports(engine, nothing) == {}
    with regie_runtime.db.session() as session, pytest.raises(Veto, match="enable a mail"):
        mail_settings.route(session, engine, regie_runtime.config, nothing)


def test_a_user_may_send_through_another_transport_than_the_establishment(
        make_establishment, make_user, smtp_server, regie_runtime, tmp_path):
    shop = reload(regie_runtime, make_establishment(plugins={
        "mail_smtp": {**smtp_server.smtp_settings(), "sender_address": "caisse@shop.example"},
        "mail_mapi_stub": {"folder": str(tmp_path), "show_before_sending": True}}))
    with regie_runtime.db.transaction() as session:
        mail_settings.update(session, regie_runtime.engine, shop, {"transport": "smtp"})
    clerk = make_user(roles={shop: ["manager"]})
    with regie_runtime.db.transaction() as session:
        mail_settings.update_user(session, regie_runtime.engine, shop, clerk,
                                  {"transport": "mapi", "sender_name": "Julie",
                                   "sender_address": "julie@shop.example"})
    result = checks.send_test(regie_runtime, shop, "julie@shop.example", user=clerk,
                              for_user=True)
    assert result.ok and result.step == "delivered"

    with regie_runtime.db.transaction() as session:
        outbox.queue(session, regie_runtime, shop, to="client@example.org",
                     subject="Votre ticket", text="Bonjour", user=clerk)
    outbox.send_due(regie_runtime)

    drafts = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
              for path in sorted(tmp_path.glob("*.eml"))]
    sent = [draft for draft in drafts if draft["Subject"] == "Votre ticket"]
    assert len(sent) == 1
    assert sent[0]["From"] == "Julie <julie@shop.example>" and sent[0]["X-Unsent"] == "1"
    assert smtp_server.received == [], "the establishment's SMTP server was not used"


def _plugin_module() -> types.ModuleType:
    module = types.ModuleType("shop_invoices")

    @hookimpl
    def regie_mail_placeholders():
        return [
            MailDocumentType("shop.invoice", "Invoice", text="Invoice {{ invoice.number }}"),
            MailPlaceholder("shop.invoice", "invoice.number", "Invoice number", "F-2025-0042",
                            ("invoice",)),
            MailPlaceholder("shop.invoice", "invoice.customer.name", "Customer", "Mme Martin",
                            ("invoice",)),
        ]

    module.regie_mail_placeholders = regie_mail_placeholders
    return module


def test_regie_mail_placeholders_declares_document_types_with_their_placeholders():
    from regie.builtin import mail

    engine = Engine([], builtins=[mail, _plugin_module()])

    kinds = placeholders.document_types(engine)
    assert set(kinds) == {"receipt", "letter", "shop.invoice"}
    offered = [item.name for item in placeholders.for_document(engine, "shop.invoice")]
    assert offered[:3] == ["establishment.name", "establishment.address", "establishment.email"]
    assert {"invoice.number", "invoice.customer.name"} <= set(offered)
    assert "receipt.number" not in offered
    assert placeholders.sample_data(placeholders.for_document(engine, "shop.invoice"))[
        "invoice"] == {"number": "F-2025-0042", "customer": {"name": "Mme Martin"}}


def test_a_template_is_checked_against_its_document_types_placeholders(make_establishment):
    from regie.builtin import mail

    engine = Engine([], builtins=[mail, _plugin_module()])
    kind = placeholders.document_type(engine, "shop.invoice")
    shop = make_establishment(name="Boutique")

    good = templates.clean({"subject": "{{ invoice.number }}",
                            "text_body": "Dear {{ invoice.customer.name }}"})
    assert templates.problems(engine, shop, kind, good) == {}
    wrong = templates.clean({"text_body": "Receipt {{ receipt.number }}"})
    assert "'receipt' is not a placeholder" in templates.problems(engine, shop, kind,
                                                                  wrong)["text_body"]
    rendered = templates.render(good, templates.sample_data(engine, shop, "shop.invoice"),
                                label=kind.label)
    assert (rendered.subject, rendered.text) == ("F-2025-0042", "Dear Mme Martin")
