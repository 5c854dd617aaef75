"""Where billpay calls the fiscalisation hook (:mod:`regie_billpay.hookspecs`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from regie.api import Establishment

SALE, CANCELLATION = "sale", "cancellation"
KINDS = (SALE, CANCELLATION)


def fiscalize(session: Session, runtime, establishment: Establishment, bill, payment,
              kind: str) -> None:
    """Call ``regie_billpay_fiscalize`` on the plugins enabled in ``establishment``, inside the
    caller's transaction (a :class:`regie.api.Veto` raised there refuses the operation)."""
    if kind not in KINDS:
        raise ValueError(f"fiscal operation kind must be one of {KINDS}, not {kind!r}")
    enabled = [row.plugin for row in establishment.plugins if row.enabled]
    session.flush()
    runtime.engine.hook(enabled).regie_billpay_fiscalize(
        session=session, establishment=establishment, bill=bill, payment=payment, kind=kind)
