"""The billpay plugin's own plugin API: hooks other plugins implement (declared in
``plugin_info.hookspecs``, added to the deployment's plugin manager by the core).

A fiscal-register plugin implements :func:`regie_billpay_fiscalize` with ``regie.api.hookimpl``
without importing billpay. Whether Ukraine's cash-register law (265/95-ВР) applies to a
settlement centre's desks depends on the operator, so billpay ships the hook point and no
fiscal protocol.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("regie")


@hookspec
def regie_billpay_fiscalize(session, establishment, bill, payment, kind):
    """Fiscalise a cash operation of a desk; called once for each bill paid in cash
    (``kind="sale"``) and once for each cancellation (``kind="cancellation"``).

    Runs inside the transaction that records the operation, after the bill, its lines and the
    core ``payment`` (for a cancellation: the bill marked cancelled and the payment cancelled)
    are written and flushed, so ``bill.id``, ``bill.total``, ``bill.lines``, ``bill.desk`` and
    ``payment.receipt_number`` can be read. Raising :class:`regie.api.Veto` refuses the
    operation: nothing is recorded and the cashier reads the message — the right outcome when
    the law requires a fiscal receipt and the register cannot print one. The return value is
    ignored. Called only on the plugins enabled in ``establishment``.
    """
