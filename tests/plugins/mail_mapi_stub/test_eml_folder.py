"""The desktop mail client transport: .eml files a mail client opens, drafts to edit, and a
clear message when the folder cannot be used."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from regie.api import OutgoingMail
from regie_mail_mapi.transport import EmlFolderTransport


def mail(key: int = 1) -> OutgoingMail:
    message = EmailMessage()
    message["From"] = "Boutique <boutique@shop.example>"
    message["To"] = "client@example.org"
    message["Subject"] = "Votre ticket n° 000004"
    message["Message-ID"] = f"<ticket-{key}@shop.example>"
    message.set_content("Bonjour,\nvoici votre ticket.\n")
    message.add_attachment(b"%PDF-1.4 ticket", maintype="application", subtype="pdf",
                           filename="C1-000004-BRICO.pdf")
    return OutgoingMail(key, message, "boutique@shop.example", ("client@example.org",))


def read(path) -> EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def test_each_message_becomes_an_eml_file_a_mail_parser_reads(tmp_path):
    results = EmlFolderTransport.from_settings({"folder": str(tmp_path)}).send(
        [mail(1), mail(2)])

    assert [result.ok for result in results] == [True, True]
    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 2
    message = read(files[0])
    assert message["Subject"] == "Votre ticket n° 000004"
    assert message["X-Unsent"] is None
    attachment = next(message.iter_attachments())
    assert (attachment.get_filename(), attachment.get_content()) == (
        "C1-000004-BRICO.pdf", b"%PDF-1.4 ticket")
    assert not list(tmp_path.glob(".*.part")), "no temporary file left behind"


def test_show_before_sending_writes_drafts_marked_unsent(tmp_path):
    transport = EmlFolderTransport.from_settings({"folder": str(tmp_path),
                                                  "show_before_sending": True})

    transport.send([mail()])

    (draft,) = tmp_path.glob("*.eml")
    assert read(draft)["X-Unsent"] == "1"


def test_writing_the_same_message_again_replaces_its_file(tmp_path):
    transport = EmlFolderTransport.from_settings({"folder": str(tmp_path)})

    transport.send([mail(7)])
    transport.send([mail(7)])

    assert len(list(tmp_path.glob("*.eml"))) == 1


@pytest.mark.parametrize(("folder", "expected"), [
    ("", "No folder is set"),
    ("missing", "does not exist"),
])
def test_a_missing_folder_is_named(tmp_path, folder, expected):
    chosen = str(tmp_path / folder) if folder else ""
    transport = EmlFolderTransport.from_settings({"folder": chosen})

    check = transport.check(mail())
    results = transport.send([mail()])

    assert (check.ok, check.step) == (False, "folder")
    assert expected in check.message
    assert not results[0].ok and expected in results[0].error


def test_an_unwritable_folder_is_named(tmp_path, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("regie_mail_mapi.transport.tempfile.TemporaryFile", refuse)
    transport = EmlFolderTransport.from_settings({"folder": str(tmp_path)})

    check = transport.check(mail())
    results = transport.send([mail()])

    assert (check.ok, check.step) == (False, "folder")
    assert "may not write into" in check.message and "Permission denied" in check.message
    assert not results[0].ok and "may not write into" in results[0].error
    assert not list(tmp_path.iterdir())


def test_a_folder_that_fails_while_writing_gives_the_reason(tmp_path, monkeypatch):
    transport = EmlFolderTransport.from_settings({"folder": str(tmp_path)})

    def refuse(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("regie_mail_mapi.transport.tempfile.mkstemp", refuse)
    results = transport.send([mail()])

    assert not results[0].ok
    assert "Permission denied" in results[0].error


def test_check_writes_a_test_message(tmp_path):
    check = EmlFolderTransport.from_settings({"folder": str(tmp_path)}).check(mail())

    assert check.ok and check.step == "delivered"
    assert str(tmp_path) in check.message
