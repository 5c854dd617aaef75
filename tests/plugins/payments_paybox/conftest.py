"""Fixtures for the Paybox plugin: an establishment with Paybox on, payments to pay, and IPNs
signed the way Paybox signs them (TEST key here)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest
from sqlalchemy import select

from regie.api import Establishment, create_payment, open_account
from regie_paybox.protocol import key_file, sign_response

TEST_PRIVATE = key_file("TestK004.prv.pem")
SLUG = "ecole-jaures"


def signed_query(values: list[tuple[str, str]], *, escape: bool = True,
                 private_key: bytes = TEST_PRIVATE, signature_name: str = "Sign") -> str:
    """``values`` as Paybox appends them to the IPN URL, signature last."""
    signed = "&".join(f"{name}={quote(value, safe='') if escape else value}"
                      for name, value in values)
    return f"{signed}&{signature_name}={sign_response(signed, private_key)}"


def ipn_values(reference: str, amount: int, code: str = "00000", trans: str = "30446761",
               appel: str = "51636600") -> list[tuple[str, str]]:
    values = [("Mt", str(amount)), ("Ref", reference)]
    if code == "00000":
        values.append(("Auto", "XXXXXX"))
    return [*values, ("Erreur", code), ("Trans", trans), ("Appel", appel)]


@pytest.fixture
def paybox_place(make_establishment) -> Establishment:
    """An establishment in test mode with Paybox on (public test account and key)."""
    return make_establishment(SLUG, plugins={"payments_paybox": {}})


@pytest.fixture
def new_payment(regie_runtime) -> Callable[..., object]:
    """``new_payment(establishment, amount=1250, reference=None, **fields)``: a pending Paybox
    payment on a pupil's account, committed."""

    def make(establishment, amount: int = 1250, reference: str | None = None,
             owner: str = "pupil-1", **fields):
        with regie_runtime.db.transaction() as session:
            place = session.get(Establishment, establishment.id)
            account = open_account(session, place, kind="test.pupil", owner_key=owner)
            payment = create_payment(session, regie_runtime, place, account=account,
                                     amount=amount, method="paybox", reference=reference,
                                     payer_email=fields.pop("payer_email", "zoe@example.org"),
                                     **fields)
        return payment

    return make


@pytest.fixture
def reload(regie_runtime):
    """``reload(Model, id)``: the row as committed now."""

    def get(model, row_id):
        with regie_runtime.db.session() as session:
            return session.scalar(select(model).where(model.id == row_id))

    return get
