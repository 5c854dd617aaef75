"""Stored documents (size, SHA-256, owning record), the renderer registry, receipts of payments
(original then duplicates) and the permission-checked download."""

from __future__ import annotations

import hashlib
import io
import re
import zoneinfo

import pytest
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.units import mm
from sqlalchemy import select

from regie.db.models import AuditEvent, Establishment
from regie.documents import ReceiptData
from regie.services import documents, ledger, payments
from regie.services.errors import Invalid, NotFound
from regie.services.money import Money


def png_logo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 80), (30, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def pdf_text(pdf: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return text.replace("\xa0", " ").replace("\u202f", " ")


@pytest.fixture
def shop(make_establishment):
    return make_establishment(slug="brico", name="BRICO", address="12 rue des Lilas\n75011 Paris",
                              logo=png_logo(), logo_type="image/png")


@pytest.fixture
def record_payment(regie_runtime):
    """``record_payment(establishment, amount, actor=None)``: a cash payment, committed; its id."""

    def record(establishment, amount: int, actor=None) -> int:
        with regie_runtime.db.transaction() as session:
            place = session.get(Establishment, establishment.id)
            account = ledger.open_account(session, place, kind="shop.customer",
                                          owner_key="DIVERS", label="Client divers")
            payment = payments.record_manual(session, regie_runtime, place, account=account,
                                             method="cash", amount=amount, actor=actor)
            return payment.id

    return record


def issue(runtime, establishment, payment_id: int, renderer_code: str = "receipt_roll"):
    with runtime.db.transaction() as session:
        payment = payments.get(session, establishment.id, payment_id)
        document = documents.issue_receipt(session, runtime.engine, payment,
                                           renderer_code=renderer_code)
        return document.id


# --- storage --------------------------------------------------------------------------------------


def test_stored_documents_keep_size_digest_and_owner(regie_runtime, shop, make_establishment):
    other = make_establishment()
    content = b"%PDF-1.4 a letter"
    with regie_runtime.db.transaction() as session:
        document = documents.store(
            session, shop, kind="letter", filename="../../Lettre de rentrée.pdf",
            content_type="application/pdf", content=content, record_type="family",
            record_id=17, permission="reservation.view")
        document_id = document.id

    with regie_runtime.db.session() as session:
        found = documents.fetch(session, shop, document_id)
        assert (found.size, found.sha256) == (len(content), hashlib.sha256(content).hexdigest())
        assert found.content == content
        assert found.filename == "Lettre de rentrée.pdf"
        assert (found.record_type, found.record_id) == ("family", "17")
        assert [row.id for row in documents.for_record(session, shop, "family", 17)] == [
            document_id]
        assert documents.for_record(session, other, "family", 17) == []
        with pytest.raises(NotFound):
            documents.fetch(session, other, document_id)


def test_storing_bad_input_says_what_is_wrong(regie_runtime, shop):
    with regie_runtime.db.transaction() as session, pytest.raises(Invalid) as caught:
        documents.store(session, shop, kind="", filename="/", content_type="text/plain",
                        content="not bytes", record_type="payment", record_id="",
                        permission="payments.view")
    assert set(caught.value.errors) == {"kind", "filename", "content", "record_id"}


# --- renderers ------------------------------------------------------------------------------------


def test_core_registers_the_receipt_renderers(regie_engine):
    found = documents.renderers(regie_engine)

    assert [item.code for item in documents.receipt_renderers(regie_engine, enabled=())][:4] == [
        "receipt_roll", "receipt_a4", "receipt_text", "receipt_text_narrow"]
    assert found["receipt_text"].content_type == "text/plain"
    with pytest.raises(NotFound, match=r"no document renderer 'invoice_x'; known: .*receipt_a4"):
        documents.renderer(regie_engine, "invoice_x")


def test_the_narrow_text_receipt_fits_32_columns(regie_runtime, shop, record_payment):
    document_id = issue(regie_runtime, shop, record_payment(shop, 1250), "receipt_text_narrow")

    with regie_runtime.db.session() as session:
        document = documents.fetch(session, shop, document_id)
        text = document.content.decode("cp858")
    assert document.content_type == "text/plain; charset=cp858"
    assert text.endswith("\r\n\f")
    assert max(len(line) for line in text.split("\r\n")) == 32


# --- receipts of payments -------------------------------------------------------------------------


def test_receipt_data_comes_from_the_payment_and_its_establishment(
        regie_runtime, make_establishment, make_user, record_payment):
    kyiv = make_establishment(name="КП «Водоканал»", locale="uk", currency="UAH",
                              timezone="Europe/Kyiv", address="вул. Соборна, 1")
    cashier = make_user("olena", full_name="Олена Іваненко")
    record_payment(kyiv, 1000)
    payment_id = record_payment(kyiv, 35870, actor=cashier)

    with regie_runtime.db.session() as session:
        payment = payments.get(session, kyiv, payment_id)
        data = documents.receipt_data(session, regie_runtime.engine, payment)

    assert isinstance(data, ReceiptData)
    assert data.establishment_name == "КП «Водоканал»"
    assert data.receipt_number == 2, "the second succeeded payment of the establishment"
    assert data.issued_at.tzinfo == zoneinfo.ZoneInfo("Europe/Kyiv")
    assert data.issued_at == payment.succeeded_at
    assert data.money(data.total).replace("\xa0", " ") == "358,70 грн"
    assert (data.cashier, data.payer, data.payment_method) == ("Олена Іваненко",
                                                               "Client divers", "Готівка")
    assert [(line.description, line.amount) for line in data.lines] == [
        (payment.reference, 35870)]
    assert data.filename() == "000002-KP_Vodokanal.pdf"


def test_a_payment_that_did_not_succeed_has_no_receipt(regie_runtime, shop):
    with regie_runtime.db.transaction() as session:
        place = session.get(Establishment, shop.id)
        account = ledger.open_account(session, place, kind="shop.customer", owner_key="1")
        payment = payments.create_payment(session, regie_runtime, place, account=account,
                                          amount=500, method="cash")
        with pytest.raises(Invalid, match="has no receipt: it has not succeeded"):
            documents.issue_receipt(session, regie_runtime.engine, payment)


def test_only_receipt_renderers_print_receipts(regie_runtime, shop, record_payment):
    payment_id = record_payment(shop, 1250)

    with regie_runtime.db.transaction() as session, pytest.raises(Invalid, match="does not print"):
        documents.issue_receipt(session, regie_runtime.engine,
                                payments.get(session, shop, payment_id), renderer_code="letter")


def test_first_receipt_is_the_original_and_reprints_are_duplicates(
        regie_runtime, shop, record_payment):
    payment_id = record_payment(shop, 1250)
    original_id = issue(regie_runtime, shop, payment_id)
    duplicate_id = issue(regie_runtime, shop, payment_id, "receipt_a4")

    with regie_runtime.db.session() as session:
        original = documents.fetch(session, shop, original_id)
        duplicate = documents.fetch(session, shop, duplicate_id)
        original_pdf, duplicate_pdf = original.content, duplicate.content
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.target == f"payment:{payment_id}",
            AuditEvent.action.like("receipt.%")).order_by(AuditEvent.id)).all()

    assert original.filename == "000001-BRICO.pdf"
    assert duplicate.filename == "000001-BRICO-DUPLICATA.pdf"
    assert "DUPLICATA" not in pdf_text(original_pdf)
    text = pdf_text(duplicate_pdf)
    assert "DUPLICATA" in text and Money(1250, "EUR").format("fr").replace("\xa0", " ") in text
    assert [(event.action, event.details["document"]) for event in events] == [
        ("receipt.issue", original_id), ("receipt.reprint", duplicate_id)]
    assert float(PdfReader(io.BytesIO(original_pdf)).pages[0].mediabox.width) == (
        pytest.approx(80 * mm))


# --- download -------------------------------------------------------------------------------------


@pytest.fixture
def receipt(regie_runtime, shop, record_payment) -> int:
    return issue(regie_runtime, shop, record_payment(shop, 1250))


def test_a_member_allowed_to_see_payments_downloads_the_receipt(
        regie_runtime, shop, receipt, signed_in):
    client = signed_in(roles={shop: ["cashier"]})

    response = client.get(f"/brico/documents/{receipt}")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename=000001-BRICO.pdf'
    with regie_runtime.db.session() as session:
        stored = documents.fetch(session, shop, receipt)
        assert response.data == stored.content
    assert response.headers["ETag"] == f'"{stored.sha256}"'
    inline = client.get(f"/brico/documents/{receipt}?inline=1")
    assert inline.headers["Content-Disposition"].startswith("inline")


def test_a_member_without_the_permission_is_refused(shop, receipt, signed_in):
    client = signed_in(roles={shop: ["auditor"]})

    assert client.get(f"/brico/documents/{receipt}").status_code == 403


def test_documents_of_another_establishment_do_not_exist_for_others(
        shop, receipt, make_establishment, signed_in):
    other = make_establishment(slug="voisin")
    client = signed_in(roles={other: ["manager"]})

    assert client.get(f"/brico/documents/{receipt}").status_code == 404
    assert client.get(f"/voisin/documents/{receipt}").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, receipt):
    response = client.get(f"/brico/documents/{receipt}")

    assert response.status_code == 302
    assert re.search(r"/login\?next=.*brico/documents", response.headers["Location"])


def test_receipt_button_issues_the_original_then_duplicates(
        regie_runtime, shop, record_payment, signed_in):
    payment_id = record_payment(shop, 990)
    client = signed_in(roles={shop: ["cashier"]})
    token = client.csrf_token("/brico/")

    first = client.post(f"/brico/documents/receipts/{payment_id}",
                        data={"csrf_token": token, "renderer": "receipt_roll"})
    assert first.status_code == 303
    shown = client.get(first.headers["Location"])
    assert shown.status_code == 200 and shown.mimetype == "application/pdf"
    assert shown.headers["Content-Disposition"].startswith("inline")
    assert "DUPLICATA" not in pdf_text(shown.data)

    again = client.post(f"/brico/documents/receipts/{payment_id}",
                        data={"csrf_token": token, "renderer": "receipt_text"})
    text = client.get(again.headers["Location"])
    assert text.mimetype == "text/plain"
    assert "DUPLICATA" in text.data.decode("cp858")
    assert text.headers["Content-Disposition"] == 'attachment; filename=000001-BRICO-DUPLICATA.txt'

    assert client.post(f"/brico/documents/receipts/{payment_id}",
                       data={"csrf_token": token, "renderer": "nope"}).status_code == 400
    assert client.post("/brico/documents/receipts/999999",
                       data={"csrf_token": token}).status_code == 404


def test_the_receipts_panel_prints_then_reprints_and_lists_what_was_issued(
        app, regie_runtime, shop, record_payment, make_user):
    from flask import render_template_string
    from flask_login import login_user

    from regie.web.auth import LoginUser

    cashier = make_user(roles={shop: ["cashier"]})
    auditor = make_user(roles={shop: ["auditor"]})
    payment_id = record_payment(shop, 1250)

    def panel(user) -> str:
        with app.test_request_context("/brico/"), regie_runtime.db.session() as session:
            app.preprocess_request()
            login_user(LoginUser(session.get(type(user), user.id)))
            payment = payments.get(session, shop, payment_id)
            return render_template_string('{% include "documents/_receipts.html" %}',
                                          payment=payment)

    first = panel(cashier)
    assert f'action="/brico/documents/receipts/{payment_id}"' in first
    assert "button-primary" in first and "receipts-issued" not in first
    assert 'value="receipt_text_narrow"' in first
    original = issue(regie_runtime, shop, payment_id)
    duplicate = issue(regie_runtime, shop, payment_id)
    after = panel(cashier)
    assert "button-secondary" in after and "button-primary" not in after
    assert after.index(f"/brico/documents/{original}?inline=1") < after.index(
        f"/brico/documents/{duplicate}?inline=1")
    assert "000001-BRICO-DUPLICATA.pdf" in after
    assert panel(auditor).strip() == ""
