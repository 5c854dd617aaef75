"""Work that must wait for the commit: mail, receipts, the ``…_postcommit`` hooks.

A service queues the work with :func:`after_commit` and leaves the transaction to its caller.
When the caller commits, the work runs, in the order it was queued; when the transaction (or the
savepoint the work was queued in) rolls back, the work is dropped with the changes it was about.
The commit cannot be undone, so a failing piece of work is logged and the next ones still run.

The session is between transactions when the work runs: work that reads or writes the
database opens its own session.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)
_QUEUE = "regie.after_commit"


def after_commit(session: Session, work: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
    """Run ``work(*args, **kwargs)`` once the current transaction of ``session`` commits."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        raise RuntimeError("after_commit() needs a session inside a transaction")
    session.info.setdefault(_QUEUE, []).append(
        (transaction, functools.partial(work, *args, **kwargs)))


@event.listens_for(Session, "after_commit")
def _run_queued(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint was released: not durable yet
        return
    for _transaction, work in session.info.pop(_QUEUE, []):
        try:
            work()
        except Exception:
            log.exception("work after commit failed: %r", work)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    queued = session.info.get(_QUEUE)
    if queued:
        queued[:] = [(transaction, work) for transaction, work in queued
                     if not _within(transaction, previous_transaction)]


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False
