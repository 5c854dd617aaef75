"""Letters to a set of recipients a plugin provides: one personalised PDF each, mailed and/or
gathered for printing, missing addresses entered and saved back through the plugin."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from regie.db.mail import LetterBatch
from regie.services import documents, establishments
from regie.services.errors import Invalid, Veto
from regie.services.mail import checks, letters, outbox, placeholders, templates

SAVED: list[tuple[str, str]] = []


def remember(session, establishment, key, address):
    """The ``save_address`` hook of a plugin, in these tests."""
    SAVED.append((key, address))


FAMILIES = [
    {"key": "pupil:1", "name": "Famille Martin", "email": "martin@example.org",
     "address": "3 allée des Tilleuls\n69003 Lyon"},
    {"key": "pupil:2", "name": "Famille Nguyen", "email": "nguyen@example.org",
     "address": "8 rue Pasteur\n69007 Lyon"},
    {"key": "pupil:3", "name": "Famille Petit", "email": "", "address": "1 place Bellecour"},
]


@pytest.fixture
def school(make_establishment, smtp_server, regie_runtime):
    created = make_establishment(name="École Jaurès", address="2 rue de l'École\n69001 Lyon",
                                 plugins={"mail_smtp": {**smtp_server.smtp_settings(),
                                                        "sender_address": "ecole@example.org"}})
    with regie_runtime.db.session() as session:
        establishment = establishments.by_slug(session, created.slug)
    assert checks.send_test(regie_runtime, establishment, "direction@example.org").ok
    smtp_server.clear()
    SAVED.clear()
    return establishment


def letter_template(runtime, establishment, *, attach_pdf=True):
    kind = placeholders.document_type(runtime.engine, "letter")
    with runtime.db.transaction() as session:
        return templates.save(session, runtime.engine, establishment, kind, {
            "name": "Avis aux familles", "subject": "", "attach_pdf": attach_pdf,
            "text_body": "Bonjour,\n\nVeuillez trouver notre courrier ci-joint.\n",
            "document_body": "Madame, Monsieur,\n\nLa cantine de {{ establishment.name }} "
                             "ferme le 14 juillet.\n\nPour {{ recipient.name }}."})


def prepared(runtime, establishment, recipients=FAMILIES, **options) -> int:
    with runtime.db.transaction() as session:
        return letters.prepare(session, runtime.engine, establishment, document_type="letter",
                               recipients=recipients, title="Fermeture d'été",
                               save_address="test_mail_letters:remember", **options).id


def generate(runtime, establishment, batch_id, template, **modes):
    with runtime.db.transaction() as session:
        batch = letters.get(session, establishment, batch_id)
        letters.start(session, runtime, establishment, batch,
                      template=session.merge(template), **modes)
    with runtime.db.session() as session:
        batch = letters.get(session, establishment, batch_id)
    return letters.run_now(runtime, batch)


def test_one_letter_per_recipient_by_mail_and_one_pdf_to_print(
        school, smtp_server, regie_runtime):
    template = letter_template(regie_runtime, school)
    batch_id = prepared(regie_runtime, school)

    result = generate(regie_runtime, school, batch_id, template, by_mail=True, by_print=True)
    outbox.send_due(regie_runtime)

    assert result["url"] == f"/{school.slug}/mail/letters/{batch_id}"
    received = {mail.rcpt_tos[0]: mail.message for mail in smtp_server.wait_for(2)}
    assert set(received) == {"martin@example.org", "nguyen@example.org"}
    martin = received["martin@example.org"]
    assert martin["Subject"] == "École Jaurès - Avis aux familles"
    (pdf,) = martin.iter_attachments()
    text = PdfReader(io.BytesIO(pdf.get_content())).pages[0].extract_text()
    assert "Famille Martin" in text and "ferme le 14 juillet" in text
    with regie_runtime.db.session() as session:
        batch = session.get(LetterBatch, batch_id)
        assert batch.state == "done"
        by_key = {letter.recipient_key: letter for letter in batch.letters}
        assert by_key["pupil:3"].error == "aucune adresse électronique", \
            "the job speaks the school's language"
        printed = documents.fetch(session, school, batch.print_document_id)
        pages = PdfReader(io.BytesIO(printed.content)).pages
    assert len(pages) == 3
    assert "Famille Petit" in pages[2].extract_text()


def test_a_letter_in_the_body_of_the_mail(school, smtp_server, regie_runtime):
    template = letter_template(regie_runtime, school, attach_pdf=False)
    batch_id = prepared(regie_runtime, school, recipients=FAMILIES[:1])

    generate(regie_runtime, school, batch_id, template, by_mail=True, by_print=False)
    outbox.send_due(regie_runtime)

    message = smtp_server.wait_for(1)[0].message
    assert list(message.iter_attachments()) == []
    assert "ferme le 14 juillet" in message.get_content()


def test_a_missing_address_is_entered_checked_and_saved_through_the_plugin(
        school, smtp_server, regie_runtime):
    template = letter_template(regie_runtime, school)
    batch_id = prepared(regie_runtime, school)
    with regie_runtime.db.session() as session:
        batch = letters.get(session, school, batch_id)
        assert [item["key"] for item in letters.missing_addresses(batch)] == ["pupil:3"]

    with regie_runtime.db.transaction() as session, pytest.raises(Invalid):
        letters.set_address(session, school, letters.get(session, school, batch_id),
                            "pupil:3", "petit@")
    with regie_runtime.db.transaction() as session:
        letters.set_address(session, school, letters.get(session, school, batch_id),
                            "pupil:3", "petit@example.org")
    generate(regie_runtime, school, batch_id, template, by_mail=True, by_print=False)
    outbox.send_due(regie_runtime)

    assert SAVED == [("pupil:3", "petit@example.org")]
    assert {mail.rcpt_tos[0] for mail in smtp_server.wait_for(3)} == {
        "martin@example.org", "nguyen@example.org", "petit@example.org"}


def test_letters_by_mail_need_a_successful_test_mail(
        make_establishment, smtp_server, regie_runtime):
    created = make_establishment(plugins={"mail_smtp": smtp_server.smtp_settings()})
    with regie_runtime.db.session() as session:
        establishment = establishments.by_slug(session, created.slug)
    template = letter_template(regie_runtime, establishment)
    batch_id = prepared(regie_runtime, establishment)

    with pytest.raises(Veto, match="test mail"):
        generate(regie_runtime, establishment, batch_id, template, by_mail=True,
                 by_print=False)
    result = generate(regie_runtime, establishment, batch_id, template, by_mail=False,
                      by_print=True)
    assert result["failures"] == 0


@pytest.mark.parametrize(("recipients", "field"), [
    ([], "recipients"),
    ([{"name": "Sans clé"}], "recipients.1"),
    ([{"key": "a", "data": {"when": object()}}], "recipients.1"),
])
def test_bad_recipients_are_refused(school, regie_runtime, recipients, field):
    with pytest.raises(Invalid) as refused:
        prepared(regie_runtime, school, recipients=recipients)

    assert field in refused.value.errors


def test_a_save_address_hook_that_does_not_exist_is_refused(school, regie_runtime):
    with regie_runtime.db.transaction() as session, pytest.raises(Invalid) as refused:
        letters.prepare(session, regie_runtime.engine, school, document_type="letter",
                        recipients=FAMILIES, save_address="nowhere:nothing")

    assert "save_address" in refused.value.errors


def test_the_letter_pdf_is_a4_with_the_letterhead(school):
    content = letters.render_letter(school, FAMILIES[0], "Bonjour.\n\nSecond paragraphe.")

    page = PdfReader(io.BytesIO(content)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    text = page.extract_text()
    assert "École Jaurès" in text and "69003 Lyon" in text and "Second paragraphe." in text


# --- the pages --------------------------------------------------------------------------------


@pytest.fixture
def secretary(school, signed_in, make_user, regie_runtime):
    with regie_runtime.db.transaction() as session:
        establishment = establishments.by_slug(session, school.slug)
        establishment.locale = "en"
    return signed_in(make_user(roles={school: ["manager"]}))


def test_the_batch_page_takes_missing_addresses_then_generates(
        school, secretary, smtp_server, regie_runtime):
    letter_template(regie_runtime, school)
    batch_id = prepared(regie_runtime, school)
    page_url = f"/{school.slug}/mail/letters/{batch_id}"
    page = secretary.get(page_url).get_data(as_text=True)
    assert 'name="address-pupil:3"' in page and "Famille Petit" in page

    secretary.submit(page_url, {"address-pupil:3": "pas-une-adresse"},
                     action=f"{page_url}/addresses")
    assert SAVED == []
    secretary.submit(page_url, {"address-pupil:3": "petit@example.org"},
                     action=f"{page_url}/addresses")
    assert SAVED == [("pupil:3", "petit@example.org")]

    with regie_runtime.db.session() as session:
        template_id = templates.find(session, school, "letter", "Avis aux familles").id
    response = secretary.submit(page_url, {"template": str(template_id), "by_mail": "y"})
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]

    with regie_runtime.db.session() as session:
        letters.run_now(regie_runtime, letters.get(session, school, batch_id))
    outbox.send_due(regie_runtime)
    assert len(smtp_server.wait_for(3)) == 3
    done = secretary.get(page_url).get_data(as_text=True)
    assert done.count('/documents/') >= 3


def test_the_archive_shows_reprints_and_resends_a_letter(
        school, secretary, smtp_server, regie_runtime):
    template = letter_template(regie_runtime, school)
    batch_id = prepared(regie_runtime, school, recipients=FAMILIES[:1])
    generate(regie_runtime, school, batch_id, template, by_mail=True, by_print=False)
    outbox.send_due(regie_runtime)
    archive_url = f"/{school.slug}/mail/letters/archive"
    page = secretary.get(archive_url).get_data(as_text=True)
    assert "Famille Martin" in page
    with regie_runtime.db.session() as session:
        (letter,) = letters.archive(session, school)

    response = secretary.submit(archive_url, {"to": "grand-mere@example.org"},
                                action=f"{archive_url}/{letter.id}/resend")

    assert response.status_code == 302
    resent = smtp_server.wait_for(2)[-1]
    assert resent.rcpt_tos == ("grand-mere@example.org",)
    (pdf,) = resent.message.iter_attachments()
    assert pdf.get_content().startswith(b"%PDF")
