"""Paybox Direct refunds and inquiries against a fake PPPS server over real HTTP."""

from __future__ import annotations

import datetime as dt

import pytest

from regie_paybox.ppps import UNREACHABLE, Client, QuestionNumbers, status_outcome
from regie_paybox.protocol import Account

from .fakes import FakePPPS, serve

KEY = "0123456789ABCDEF" * 8
ACCOUNT = Account("1999888", "32", "107904482", KEY)


@pytest.fixture
def ppps():
    fake = FakePPPS(KEY)
    fake.add("30446761", "R-1", 5900, numappel="51636600")
    with serve(fake) as url:
        yield fake, Client(ACCOUNT, [url + "/PPPS.php"])


def test_partial_refunds_until_the_amount_is_used(ppps):
    fake, client = ppps
    first = client.refund(amount=2000, currency="EUR", reference="R-1", numappel="51636600",
                          numtrans="30446761")
    assert first.ok, first
    second = client.refund(amount=3900, currency="EUR", reference="R-1", numappel="51636600",
                           numtrans="30446761")
    assert second.ok
    third = client.refund(amount=1, currency="EUR", reference="R-1", numappel="51636600",
                          numtrans="30446761")
    assert (third.ok, third.code) == (False, "00011")
    assert fake.transactions["30446761"]["refunded"] == 5900


def test_question_fields_and_hmac(ppps):
    fake, client = ppps
    client.refund(amount=150, currency="EUR", reference="R-1", numappel="51636600",
                  numtrans="30446761")
    fields = fake.questions[0]
    assert [name for name, _value in fields] == [
        "VERSION", "TYPE", "SITE", "RANG", "NUMQUESTION", "MONTANT", "DEVISE", "REFERENCE",
        "NUMAPPEL", "NUMTRANS", "DATEQ", "HASH", "HMAC"]
    values = dict(fields)
    assert (values["VERSION"], values["TYPE"], values["MONTANT"], values["DEVISE"]) == (
        "00104", "00014", "0000000150", "978")
    assert len(values["DATEQ"]) == 14


def test_wrong_key_is_refused_by_the_platform(ppps):
    _fake, client = ppps
    wrong = Client(Account("1999888", "32", "107904482", "AB" * 64), client.urls)
    answer = wrong.inquire(amount=5900, currency="EUR", reference="R-1")
    assert (answer.ok, answer.code, answer.comment) == (False, "00006", "HMAC invalide")


def test_inquiry_reads_the_status(ppps):
    _fake, client = ppps
    answer = client.inquire(amount=5900, currency="EUR", reference="R-1")
    assert answer.ok
    assert answer.fields["NUMTRANS"] == "30446761"
    assert status_outcome(answer.fields["STATUS"]) == "succeeded"


def test_cle_authentication_replaces_the_hmac(ppps):
    _fake, client = ppps
    with_cle = Client(ACCOUNT, client.urls, cle="1999888I")
    fields = with_cle.question("00017", amount=1, currency="EUR", reference="R-1")
    assert fields[-1] == ("CLE", "1999888I")
    assert "HMAC" not in dict(fields)


def test_backup_url_is_tried_and_unreachable_is_an_answer(ppps):
    _fake, client = ppps
    with serve(lambda environ, start: []) as dead:
        pass  # the port is closed again: nothing listens there
    both = Client(ACCOUNT, [dead + "/PPPS.php", *client.urls])
    assert both.inquire(amount=5900, currency="EUR", reference="R-1").ok
    nothing = Client(ACCOUNT, [dead + "/PPPS.php"]).inquire(amount=1, currency="EUR",
                                                           reference="R-1")
    assert nothing.code == UNREACHABLE and dead in nothing.comment


def test_question_numbers_are_unique_and_ten_digits():
    now = [dt.datetime(2026, 3, 1, 23, 59, 59, 999000, tzinfo=dt.UTC)]
    numbers = QuestionNumbers(clock=lambda: now[0])
    drawn = [numbers.next() for _ in range(500)]
    assert len(set(drawn)) == 500
    assert all(len(number) == 10 and int(number) < 2_147_483_647 for number in drawn)
    now[0] = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)
    assert int(numbers.next()) < 100, "the count starts again each day"


@pytest.mark.parametrize(("status", "outcome"), [
    ("Capturé", "succeeded"), ("Autorisé", "succeeded"), ("Remboursé", "succeeded"),
    ("Refusé", "failed"), ("Annulé", "cancelled"), ("Inconnu", None), ("", None)])
def test_status_outcomes(status, outcome):
    assert status_outcome(status) == outcome
