"""The weekly scheduled task."""

from __future__ import annotations

from regie.api import TaskContext
from regie_paybox import operations


def reconcile_pending(ctx: TaskContext) -> None:
    """Recover payments Paybox took but whose notification never arrived, through Paybox
    Direct inquiries; the report is kept in the establishment's audit trail."""
    operations.reconcile_pending(ctx.runtime, ctx.establishment)
