"""The ledger: accounts, signed entries, reversals, and the hash chain that proves nothing was
changed behind the ledger's back.

Signs: a positive entry is in the payer's favour (a payment, a credit), a negative one is owed
(a charge, a refund paid out). An account's balance is the sum of its entries; the cached
``balance`` changes with each entry, in the entry's transaction, under a row lock.

Entries are never edited or deleted; a mistake is corrected by a reversal entry. Each entry
stores the SHA-256 of its canonical content chained to the previous entry of the
establishment, and :func:`verify` recomputes both the chain and every balance.

Locks are always taken in the same order — payment, account, ledger counter, receipt
counter — so concurrent writers wait for each other instead of deadlocking. The ledger counter
is the establishment's chain: every posting waits for it, so :func:`post_locked` takes it with
the statement that advances it (``UPDATE … RETURNING``), as late as possible, and leaves the
caller only the writes that need its numbers before the commit.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import attrs
from sqlalchemy import (
    BigInteger,
    Executable,
    Select,
    bindparam,
    cast,
    func,
    insert,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from regie.db.base import utcnow
from regie.db.models import AuditEvent, Establishment
from regie.db.money import LedgerAccount, LedgerEntry, MoneyCounter, Payment
from regie.db.tenancy import get_for, lock, select_for
from regie.i18n import gettext as _
from regie.services import audit
from regie.services.errors import Invalid, NotFound, Veto
from regie.services.money import Money

log = logging.getLogger("regie.ledger")

GENESIS = "0" * 64
"""The ``previous_hash`` of an establishment's first entry."""

LEDGER_COUNTER = "ledger"
RECEIPT_COUNTER = "receipt"
_KIND_RE = re.compile(r"^[a-z][a-z0-9_.]{0,29}$")


class LedgerBroken(Exception):
    """:func:`verify` found a problem; the message names the first broken entry."""


# --- counters ------------------------------------------------------------------------------


def locked_counters(session: Session, establishment_id: int,
                    *names: str) -> dict[str, MoneyCounter]:
    """The establishment's counters ``names``, locked together until the end of the
    transaction (created at 0 on first use; a concurrent creator makes this one wait, then use
    its row)."""
    query = lock(select(MoneyCounter).where(
        MoneyCounter.establishment_id == establishment_id, MoneyCounter.name.in_(names))
        .order_by(MoneyCounter.name)).execution_options(populate_existing=True)
    counters = {counter.name: counter for counter in session.scalars(query)}
    missing = [name for name in names if name not in counters]
    for name in missing:
        try:
            with session.begin_nested():
                session.add(MoneyCounter(establishment_id=establishment_id, name=name, value=0,
                                         head=""))
        except IntegrityError:
            pass
    if missing:
        counters = {counter.name: counter for counter in session.scalars(query)}
    return counters


def locked_counter(session: Session, establishment_id: int, name: str) -> MoneyCounter:
    return locked_counters(session, establishment_id, name)[name]


def next_number(session: Session, establishment_id: int, name: str) -> int:
    """The next number of counter ``name`` (1, 2, 3 …): gapless when the transaction commits,
    since a rolled-back transaction gives its number back."""
    counter = locked_counter(session, establishment_id, name)
    counter.value += 1
    return counter.value


# --- accounts ------------------------------------------------------------------------------


def _establishment_id(establishment: Establishment | int) -> int:
    return establishment if isinstance(establishment, int) else establishment.id


def open_account(session: Session, establishment: Establishment, *, kind: str, owner_key: str,
                 label: str = "", currency: str | None = None,
                 actor: str = "") -> LedgerAccount:
    """The account of ``(kind, owner_key)`` in the establishment, opened if it does not exist.

    Plugins name their payers with a kind prefixed by the plugin (``reservation.pupil``) and
    their own key (``"1234"``). Calling it again returns the same account.
    """
    kind, owner_key = kind.strip(), str(owner_key).strip()
    currency = (currency or establishment.currency).upper()
    errors = {}
    if not _KIND_RE.match(kind):
        errors["kind"] = _("use 1 to 30 lowercase letters, digits, '.' or '_' "
                           "(e.g. reservation.pupil)")
    if not owner_key:
        errors["owner_key"] = _("is required")
    if errors:
        raise Invalid(errors)
    existing = get_account(session, establishment, kind=kind, owner_key=owner_key)
    if existing is not None:
        if existing.currency != currency:
            raise Invalid({"currency": _("this account keeps %(currency)s",
                                         currency=existing.currency)})
        return existing
    account = LedgerAccount(establishment_id=establishment.id, kind=kind, owner_key=owner_key,
                            label=label.strip() or f"{kind} {owner_key}", currency=currency,
                            balance=0)
    try:
        with session.begin_nested():
            session.add(account)
    except IntegrityError:  # opened meanwhile by a concurrent transaction
        return get_account(session, establishment, kind=kind, owner_key=owner_key)
    audit.record(session, "account.open", establishment=establishment, actor=actor or "system",
                 target=f"{kind}:{owner_key}", details={"account": account.id,
                                                        "currency": currency})
    return account


#: Owner keys looked up per statement by :func:`open_accounts`.
_KEY_BATCH = 1000


def open_accounts(session: Session, establishment: Establishment, *, kind: str,
                  owners: Iterable[tuple[str, str]], currency: str | None = None,
                  actor: str = "") -> dict[str, LedgerAccount]:
    """:func:`open_account` for many owners of one kind at once (a school's pupils): the
    accounts of ``owners`` (``(owner_key, label)`` pairs), by owner key, the existing ones
    looked up and the missing ones opened with one multi-row insert, each opening recorded in
    the audit log as :func:`open_account` does. When a concurrent transaction opens one of them
    meanwhile, falls back to :func:`open_account` for each missing owner.
    """
    kind = kind.strip()
    currency = (currency or establishment.currency).upper()
    labels: dict[str, str] = {}
    for owner_key, label in owners:
        labels.setdefault(str(owner_key).strip(), label.strip())
    errors = {}
    if not _KIND_RE.match(kind):
        errors["kind"] = _("use 1 to 30 lowercase letters, digits, '.' or '_' "
                           "(e.g. reservation.pupil)")
    if "" in labels:
        errors["owner_key"] = _("is required")
    if errors:
        raise Invalid(errors)
    keys = list(labels)
    found: dict[str, LedgerAccount] = {}
    for start in range(0, len(keys), _KEY_BATCH):
        found.update((account.owner_key, account) for account in session.scalars(select_for(
            establishment, LedgerAccount, LedgerAccount.kind == kind,
            LedgerAccount.owner_key.in_(keys[start:start + _KEY_BATCH]))))
    for account in found.values():
        if account.currency != currency:
            raise Invalid({"currency": _("this account keeps %(currency)s",
                                         currency=account.currency)})
    missing = [key for key in keys if key not in found]
    if not missing:
        return found
    try:
        with session.begin_nested():
            opened = session.scalars(insert(LedgerAccount).returning(LedgerAccount), [
                {"establishment_id": establishment.id, "kind": kind, "owner_key": key,
                 "label": labels[key] or f"{kind} {key}", "currency": currency, "balance": 0}
                for key in missing]).all()
    except IntegrityError:  # one of them opened meanwhile by a concurrent transaction
        return found | {key: open_account(session, establishment, kind=kind, owner_key=key,
                                          label=labels[key], currency=currency, actor=actor)
                        for key in missing}
    session.execute(insert(AuditEvent), [
        {"establishment_id": establishment.id, "actor": actor or "system",
         "action": "account.open", "target": f"{kind}:{account.owner_key}",
         "details": {"account": account.id, "currency": currency}} for account in opened])
    return found | {account.owner_key: account for account in opened}


def get_account(session: Session, establishment: Establishment | int, *, kind: str,
                owner_key: str) -> LedgerAccount | None:
    return session.scalar(select_for(establishment, LedgerAccount, LedgerAccount.kind == kind,
                                     LedgerAccount.owner_key == str(owner_key)))


def account_by_id(session: Session, establishment: Establishment | int,
                  account_id: int) -> LedgerAccount:
    account = get_for(session, establishment, LedgerAccount, account_id)
    if account is None:
        raise NotFound(_("no account %(id)s in this establishment", id=account_id))
    return account


def find_account(session: Session, establishment: Establishment | int,
                 designation: str) -> LedgerAccount:
    """The account named by ``designation``: its number, or ``kind:owner_key``."""
    designation = designation.strip()
    if designation.isdigit():
        return account_by_id(session, establishment, int(designation))
    kind, _sep, owner_key = designation.partition(":")
    account = get_account(session, establishment, kind=kind, owner_key=owner_key)
    if account is None:
        raise NotFound(_("no account '%(name)s' in this establishment", name=designation))
    return account


def accounts_query(establishment: Establishment | int, *, kind: str | None = None,
                   search: str = "") -> Select[tuple[LedgerAccount]]:
    """The establishment's accounts by label, of ``kind``, whose label or owner key contains
    ``search``."""
    query = select_for(establishment, LedgerAccount)
    if kind:
        query = query.where(LedgerAccount.kind == kind)
    if search.strip():
        pattern = f"%{search.strip().lower()}%"
        query = query.where(func.lower(LedgerAccount.label).like(pattern)
                            | func.lower(LedgerAccount.owner_key).like(pattern))
    return query.order_by(LedgerAccount.label, LedgerAccount.id)


def accounts(session: Session, establishment: Establishment | int, *, kind: str | None = None,
             search: str = "") -> list[LedgerAccount]:
    return list(session.scalars(accounts_query(establishment, kind=kind, search=search)))


# --- entries -------------------------------------------------------------------------------


def lock_account(session: Session, account: LedgerAccount | int) -> LedgerAccount:
    """``account`` (or the account numbered so) locked until the transaction ends, with its
    current balance.

    A transaction that will post to an account and also inserts rows referring to it (a
    payment) locks it first: on PostgreSQL, the key-share lock the insert takes cannot be
    upgraded by two transactions at once without a deadlock.
    """
    account_id = account if isinstance(account, int) else account.id
    return session.scalar(lock(select(LedgerAccount).where(LedgerAccount.id == account_id))
                          .execution_options(populate_existing=True))


def entry_hash(entry: LedgerEntry) -> str:
    """SHA-256 of the entry's canonical content and the hash it chains on."""
    created = entry.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    content = [
        entry.establishment_id, entry.sequence, entry.account_id, entry.amount, entry.currency,
        entry.balance_after, entry.kind, entry.label, entry.payment_id, entry.reverses_entry_id,
        entry.actor, created, entry.previous_hash,
    ]
    canonical = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _checked(account: LedgerAccount, amount: int | Money, kind: str) -> int:
    if isinstance(amount, Money):
        if amount.currency != account.currency:
            raise Invalid({"amount": _("this account keeps %(currency)s",
                                       currency=account.currency)})
        amount = amount.amount
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("ledger amounts are int minor units")
    if amount == 0:
        raise Invalid({"amount": _("an entry of zero changes nothing")})
    if not _KIND_RE.match(kind):
        raise Invalid({"kind": _("use 1 to 30 lowercase letters, digits, '.' or '_'")})
    return amount


def post_entry(session: Session, account: LedgerAccount, amount: int | Money, *, kind: str,
               label: str = "", payment_id: int | None = None, actor: str = "",
               reverses: LedgerEntry | None = None) -> LedgerEntry:
    """Add a signed entry to ``account`` and update its balance, in the caller's transaction.

    ``amount`` is in the account's minor units (or a :class:`Money` in its currency); positive
    is in the payer's favour. The account row and the establishment's chain are locked until
    the transaction ends.
    """
    _checked(account, amount, kind)
    locked = lock_account(session, account)
    chain = locked_counter(session, locked.establishment_id, LEDGER_COUNTER)
    entry = append_entry(session, locked, chain, amount, kind=kind, label=label,
                         payment_id=payment_id, actor=actor, reverses=reverses)
    session.flush()
    return entry


@attrs.frozen
class Posting:
    """One entry for :func:`post_entries`: as the arguments of :func:`post_entry`."""

    account: LedgerAccount
    amount: int | Money
    kind: str
    label: str = ""
    actor: str = ""


#: Accounts locked, and entries inserted, per statement by :func:`post_entries`.
_BATCH = 1000


def post_entries(session: Session, postings: Sequence[Posting]) -> list[int]:
    """Post many entries of one establishment at once (a month's invoices, a canteen's
    passages), in the caller's transaction: the same entries, chain and balances as
    :func:`post_entry` called for each in turn. Every account is locked by a few statements
    (in id order) and the chain once; the entries are written a thousand per statement and the
    balances by one (on PostgreSQL, all the entries by one statement of one array per column),
    not as ORM objects. Returns the new entries' ids, in ``postings`` order.
    """
    if not postings:
        return []
    establishment_ids = {posting.account.establishment_id for posting in postings}
    if len(establishment_ids) != 1:
        raise ValueError("post_entries takes the postings of one establishment")
    amounts = [_checked(posting.account, posting.amount, posting.kind) for posting in postings]
    session.flush()
    ids = sorted({posting.account.id for posting in postings})
    locked: dict[int, LedgerAccount] = {}
    for start in range(0, len(ids), _BATCH):
        batch = ids[start:start + _BATCH]
        locked.update((account.id, account) for account in session.scalars(
            lock(select(LedgerAccount).where(LedgerAccount.id.in_(batch))
                 .order_by(LedgerAccount.id)).execution_options(populate_existing=True)))
    chain = locked_counter(session, establishment_ids.pop(), LEDGER_COUNTER)
    balances = {account_id: account.balance for account_id, account in locked.items()}
    created_at = utcnow()
    rows = []
    for posting, amount in zip(postings, amounts, strict=True):
        account = locked[posting.account.id]
        chain.value += 1
        balances[account.id] += amount
        values = {
            "establishment_id": account.establishment_id, "sequence": chain.value,
            "account_id": account.id, "amount": amount, "currency": account.currency,
            "balance_after": balances[account.id], "kind": posting.kind,
            "label": posting.label[:200], "payment_id": None, "reverses_entry_id": None,
            "actor": posting.actor[:150], "created_at": created_at,
            "previous_hash": chain.head or GENESIS}
        values["hash"] = chain.head = entry_hash(SimpleNamespace(**values))
        rows.append(values)
    if session.get_bind().dialect.name == "postgresql":
        entry_ids = _write_unnested(session, rows, balances)
    else:
        entry_ids = []
        for start in range(0, len(rows), _BATCH):
            entry_ids.extend(session.execute(_INSERT_ENTRIES,
                                             rows[start:start + _BATCH]).scalars())
        session.execute(_SET_BALANCE, [{"b_account_id": account_id, "b_balance": balance}
                                       for account_id, balance in balances.items()])
    for account_id, balance in balances.items():
        set_committed_value(locked[account_id], "balance", balance)
    session.flush()
    return entry_ids


def _write_unnested(session: Session, rows: list[dict], balances: dict[int, int]) -> list[int]:
    """PostgreSQL: :func:`post_entries`' entries inserted by one statement (one array per
    column, ids returned by sequence number) and its balances set by another, instead of
    statements of thousands of parameters that the driver parses one by one."""
    names = list(rows[0])
    arrays = func.unnest(*[cast(bindparam(f"u_{name}", [row[name] for row in rows]),
                                ARRAY(_ENTRIES.c[name].type)) for name in names])
    inserted = session.execute(
        insert(_ENTRIES).from_select(names, select(*arrays.table_valued(*names)
                                                   .render_derived().c))
        .returning(_ENTRIES.c.sequence, _ENTRIES.c.id))
    by_sequence = dict(inserted.all())
    new = func.unnest(cast(bindparam("u_ids", list(balances)), ARRAY(BigInteger)),
                      cast(bindparam("u_balances", list(balances.values())), ARRAY(BigInteger))
                      ).table_valued("id", "balance").render_derived()
    session.execute(update(_ACCOUNTS).where(_ACCOUNTS.c.id == new.c.id)
                    .values(balance=new.c.balance))
    return [by_sequence[row["sequence"]] for row in rows]


def append_entry(session: Session, account: LedgerAccount, chain: MoneyCounter,
                 amount: int | Money, *, kind: str, label: str = "",
                 payment_id: int | None = None, actor: str = "",
                 reverses: LedgerEntry | None = None) -> LedgerEntry:
    """:func:`post_entry` for a caller that already holds the account's lock
    (:func:`lock_account`) and the chain's (the ``ledger`` counter of
    :func:`locked_counters`), taken with its other locks to keep the locked span short. The
    entry is written at the next flush."""
    amount = _checked(account, amount, kind)
    chain.value += 1
    entry = LedgerEntry(
        establishment_id=account.establishment_id, sequence=chain.value, account_id=account.id,
        amount=amount, currency=account.currency, balance_after=account.balance + amount,
        kind=kind, label=label[:200], payment_id=payment_id,
        reverses_entry_id=reverses.id if reverses is not None else None, actor=actor[:150],
        created_at=utcnow(), previous_hash=chain.head or GENESIS,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    account.balance = entry.balance_after
    chain.head = entry.hash
    return entry


@attrs.frozen
class Posted:
    """What :func:`post_locked` wrote: the entry (written, with its id, but not attached to
    the session) and the receipt number it took, if asked for one."""

    entry: LedgerEntry
    receipt: int | None = None


_ACCOUNTS = LedgerAccount.__table__
_COUNTERS = MoneyCounter.__table__
#: The statements of :func:`post_locked`, built once (they run under the chain's lock).
_CREDIT = (update(_ACCOUNTS)
           .where(_ACCOUNTS.c.id == bindparam("b_account_id"),
                  _ACCOUNTS.c.establishment_id == bindparam("b_establishment_id"))
           .values(balance=_ACCOUNTS.c.balance + bindparam("b_amount", type_=BigInteger))
           .returning(_ACCOUNTS.c.balance, _ACCOUNTS.c.currency))
_ADVANCE = (update(_COUNTERS)
            .where(_COUNTERS.c.establishment_id == bindparam("b_establishment_id"),
                   _COUNTERS.c.name == bindparam("b_name"))
            .values(value=_COUNTERS.c.value + 1)
            .returning(_COUNTERS.c.id, _COUNTERS.c.value, _COUNTERS.c.head))


@functools.cache
def _credit_and_advance(names: tuple[str, ...]) -> Executable:
    """PostgreSQL: :data:`_CREDIT`, then counters ``names`` advanced one after the other, in
    one statement; a row per counter advanced (none: one row, its counter columns ``NULL``).

    Each update waits for the one before it (``EXISTS``), so the locks are taken in the
    order of every other posting, the account's then the counters' in ``names`` order: one
    ``UPDATE`` of several counters would lock them in the order it finds them, which two
    transactions may not agree on."""
    before = _CREDIT.cte("credited")
    credited = before
    advanced = []
    for position, name in enumerate(names):
        before = (update(_COUNTERS)
                  .where(_COUNTERS.c.establishment_id == bindparam("b_establishment_id"),
                         _COUNTERS.c.name == name,
                         before.select().exists())
                  .values(value=_COUNTERS.c.value + 1)
                  .returning(_COUNTERS.c.id, _COUNTERS.c.name, _COUNTERS.c.value,
                             _COUNTERS.c.head).cte(f"advanced_{position}"))
        advanced.append(before)
    counters = union_all(*(select(cte.c.id, cte.c.name, cte.c.value, cte.c.head)
                           for cte in advanced)).subquery("counters")
    return select(credited.c.balance, credited.c.currency, counters.c.id, counters.c.name,
                  counters.c.value, counters.c.head).select_from(
        credited.outerjoin(counters, true()))


_HEAD = (update(_COUNTERS).where(_COUNTERS.c.id == bindparam("b_chain_id"))
         .values(head=bindparam("b_head")))
_ENTRIES = LedgerEntry.__table__
_ENTRY_COLUMNS = tuple(column.key for column in _ENTRIES.columns if not column.primary_key)
#: The statements of :func:`post_entries`.
_INSERT_ENTRIES = insert(_ENTRIES).returning(_ENTRIES.c.id, sort_by_parameter_order=True)
_SET_BALANCE = (update(_ACCOUNTS).where(_ACCOUNTS.c.id == bindparam("b_account_id"))
                .values(balance=bindparam("b_balance")))
_PAYMENTS = Payment.__table__
_AUDIT = AuditEvent.__table__
_AUDIT_COLUMNS = tuple(column.key for column in _AUDIT.columns if not column.primary_key)


def _bound(table, prefix: str, names: Iterable[str]) -> dict[str, Any]:
    return {name: bindparam(f"{prefix}{name}", type_=table.c[name].type) for name in names}


@functools.cache
def _number(columns: frozenset[str]) -> Executable:
    """The receipt number (bound as ``b_receipt``) and ``columns`` (bound as ``p_<column>``)
    written on the payment. Without ``updated_at`` among them, it stays what the caller's
    flush of the payment wrote."""
    values = {"receipt_number": bindparam("b_receipt"), **_bound(_PAYMENTS, "p_", sorted(columns))}
    values.setdefault("updated_at", _PAYMENTS.c.updated_at)
    return update(_PAYMENTS).where(_PAYMENTS.c.id == bindparam("b_payment_id")).values(values)


_INSERT_ENTRY = (insert(_ENTRIES).values(_bound(_ENTRIES, "e_", _ENTRY_COLUMNS))
                 .returning(_ENTRIES.c.id))
_INSERT_AUDIT = insert(_AUDIT).values(_bound(_AUDIT, "a_", _AUDIT_COLUMNS))


@functools.cache
def _finish(columns: frozenset[str] | None, audited: bool) -> Executable:
    """PostgreSQL: the writes that follow the chain's lock as one statement (one round trip
    while the chain is held, data-modifying ``WITH``): the chain's head, the entry (its id
    returned), with a receipt the payment's number and ``columns`` (``columns`` not
    ``None``), and the audit event (``audited``)."""
    entry = _INSERT_ENTRY.cte("entry")
    statement = select(entry.c.id).add_cte(_HEAD.cte("head"))
    if columns is not None:
        statement = statement.add_cte(_number(columns).cte("numbered"))
    if audited:
        statement = statement.add_cte(_INSERT_AUDIT.cte("audited"))
    return statement


def post_locked(session: Session, establishment_id: int, account_id: int, amount: int, *,
                kind: str, label: str = "", payment_id: int | None = None, actor: str = "",
                receipt: bool = False, payment_values: Mapping[str, Any] | None = None,
                audit_event: Mapping[str, Any] | None = None) -> Posted:
    """:func:`post_entry` taking each lock with the statement that changes the row: the
    account's balance, then the chain's sequence and (``receipt=True``) the next receipt
    number, written on payment ``payment_id``. No row is read before it is locked, and the
    chain is held from its first statement to the end of the caller's transaction: on
    PostgreSQL, two round trips (the locks, then every write that needs their numbers). The
    caller writes everything it can before (``session.flush()``), and as little as possible
    after.

    ``payment_values``: other columns of payment ``payment_id`` to write with its receipt
    number (its new state …), so that its row is written once.

    ``audit_event``: an event of the audit trail written with the entry (the columns of
    :func:`regie.services.audit.values`); its details get the entry's sequence (``entry``)
    and the receipt number (``receipt``).

    ``amount`` is a non-zero int in the account's minor units (see :func:`post_entry`).
    Objects of the account and the counters already in the session get the new values (the
    payment's ``receipt_number`` and ``payment_values`` are the caller's to set).
    """
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise TypeError("post_locked takes a non-zero int amount in minor units")
    if not _KIND_RE.match(kind):
        raise Invalid({"kind": _("use 1 to 30 lowercase letters, digits, '.' or '_'")})
    if (receipt or payment_values) and payment_id is None:
        raise TypeError("a receipt number is for a payment: give payment_id")
    if payment_values and not receipt:
        raise TypeError("payment_values are written with the receipt number: receipt=True")
    names = (LEDGER_COUNTER, RECEIPT_COUNTER) if receipt else (LEDGER_COUNTER,)
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    credit = {"b_account_id": account_id, "b_establishment_id": establishment_id,
              "b_amount": amount}
    advanced: dict[str, tuple[int, int, str]] = {}
    if postgres:
        rows = connection.execute(_credit_and_advance(names), credit).all()
        balance, currency = rows[0].balance, rows[0].currency
        advanced = {row.name: (row.id, row.value, row.head) for row in rows
                    if row.id is not None}
    else:
        balance, currency = connection.execute(_CREDIT, credit).one()
    for name in names:
        if name not in advanced:  # SQLite, or the establishment's first use of the counter
            advanced[name] = _advance(session, establishment_id, name)
    chain_id, sequence, previous = advanced[LEDGER_COUNTER]
    receipts_id, number, _head = advanced.get(RECEIPT_COUNTER, (None, None, ""))
    entry = LedgerEntry(
        establishment_id=establishment_id, sequence=sequence, account_id=account_id,
        amount=amount, currency=currency, balance_after=balance, kind=kind, label=label[:200],
        payment_id=payment_id, reverses_entry_id=None, actor=actor[:150], created_at=utcnow(),
        previous_hash=previous or GENESIS)
    entry.hash = entry_hash(entry)
    parameters = {"b_chain_id": chain_id, "b_head": entry.hash, "b_payment_id": payment_id,
                  "b_receipt": number,
                  **{f"e_{name}": getattr(entry, name) for name in _ENTRY_COLUMNS},
                  **{f"p_{name}": value for name, value in (payment_values or {}).items()}}
    if audit_event is not None:
        details = {**audit_event.get("details", {}), "entry": sequence,
                   **({"receipt": number} if receipt else {})}
        parameters.update({f"a_{name}": value
                           for name, value in {**audit_event, "details": details}.items()})
    columns = frozenset(payment_values or ()) if receipt else None
    if postgres:
        entry.id = connection.execute(_finish(columns, audit_event is not None),
                                      parameters).scalar_one()
    else:
        connection.execute(_HEAD, parameters)
        entry.id = connection.execute(_INSERT_ENTRY, parameters).scalar_one()
        if columns is not None:
            connection.execute(_number(columns), parameters)
        if audit_event is not None:
            connection.execute(_INSERT_AUDIT, parameters)
    _committed(session, LedgerAccount, account_id, balance=balance)
    _committed(session, MoneyCounter, chain_id, value=sequence, head=entry.hash)
    if receipts_id is not None:
        _committed(session, MoneyCounter, receipts_id, value=number)
    return Posted(entry, number)


def _advance(session: Session, establishment_id: int, name: str) -> tuple[int, int, str]:
    """Counter ``name`` advanced by one and locked: its id, new value and head (created at 0
    on first use, as :func:`locked_counters` does)."""
    parameters = {"b_establishment_id": establishment_id, "b_name": name}
    row = session.connection().execute(_ADVANCE, parameters).one_or_none()
    if row is None:
        locked_counters(session, establishment_id, name)
        row = session.connection().execute(_ADVANCE, parameters).one()
    return row.id, row.value, row.head


def _committed(session: Session, model: type, row_id: int, **values) -> None:
    """Give the session's object of ``model`` ``row_id``, if loaded, the values a statement
    just wrote, as if it had read them."""
    loaded = session.identity_map.get(session.identity_key(model, row_id))
    if loaded is not None:
        for name, value in values.items():
            set_committed_value(loaded, name, value)


def reversal_of(session: Session, entry: LedgerEntry) -> LedgerEntry | None:
    return session.scalar(select(LedgerEntry).where(LedgerEntry.reverses_entry_id == entry.id))


def reverse_entry(session: Session, entry: LedgerEntry, *, label: str = "", actor: str = "",
                  kind: str = "reversal") -> LedgerEntry:
    """Post the opposite of ``entry``: the only way to correct the ledger."""
    if entry.reverses_entry_id is not None:
        raise Veto(_("entry %(n)s is itself a reversal: post a new entry instead",
                     n=entry.sequence))
    existing = reversal_of(session, entry)
    if existing is not None:
        raise Veto(_("entry %(n)s was already reversed by entry %(m)s", n=entry.sequence,
                     m=existing.sequence))
    return post_entry(session, entry.account, -entry.amount, kind=kind,
                      label=label or _("Reversal of entry %(n)s", n=entry.sequence),
                      payment_id=entry.payment_id, actor=actor, reverses=entry)


def reverse(session: Session, establishment: Establishment, entry_id: int, *, label: str = "",
            actor: str = "") -> LedgerEntry:
    """Reverse entry ``entry_id`` of the establishment. Entries of a payment are corrected by
    cancelling or refunding the payment, so the payment's state stays true."""
    entry = get_for(session, establishment, LedgerEntry, entry_id)
    if entry is None:
        raise NotFound(_("no ledger entry %(id)s in this establishment", id=entry_id))
    if entry.payment_id is not None:
        raise Veto(_("entry %(n)s belongs to payment %(payment)s: cancel or refund the payment "
                     "instead", n=entry.sequence, payment=entry.payment_id))
    reversal = reverse_entry(session, entry, label=label, actor=actor)
    audit.record(session, "ledger.reverse", establishment=establishment, actor=actor or "system",
                 target=f"entry:{entry.id}", details={"reversal": reversal.id})
    return reversal


def statement(session: Session, account: LedgerAccount) -> list[LedgerEntry]:
    """The account's entries, oldest first; ``balance_after`` is the running balance."""
    return list(session.scalars(select(LedgerEntry).where(LedgerEntry.account_id == account.id)
                                .order_by(LedgerEntry.sequence)))


# --- verification --------------------------------------------------------------------------


@attrs.frozen
class Problem:
    message: str
    sequence: int | None = None
    entry_id: int | None = None
    account_id: int | None = None

    def __str__(self) -> str:
        where = []
        if self.sequence is not None:
            where.append(f"entry {self.sequence}" + (f" (id {self.entry_id})"
                                                     if self.entry_id else ""))
        if self.account_id is not None:
            where.append(f"account {self.account_id}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


@attrs.frozen
class Verification:
    """What :func:`verify` found in one establishment; ``problems`` in ledger order."""

    establishment: str
    entries: int
    accounts: int
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def summary(self) -> str:
        if self.ok:
            return (f"{self.establishment}: ledger intact ({self.entries} entries, "
                    f"{self.accounts} accounts)")
        return (f"{self.establishment}: ledger BROKEN at {self.first} "
                f"({len(self.problems)} problem(s))")


def _snapshot(session: Session) -> None:
    """Read everything from one snapshot, so postings during the check raise no false alarm
    (SQLite's read transactions already see one snapshot). Only possible before the session's
    first query: :func:`verify_establishment` opens its session for it."""
    if not session.in_transaction() and session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def verify(session: Session, establishment: Establishment) -> Verification:
    """Recompute the establishment's hash chain and every account balance.

    Reports entries whose content no longer matches their hash, broken links, missing
    sequence numbers (deleted entries, at the end too), running balances that do not add up,
    and cached account balances that differ from the sum of their entries.
    """
    _snapshot(session)
    problems: list[Problem] = []
    counter = session.scalar(select(MoneyCounter).where(
        MoneyCounter.establishment_id == establishment.id, MoneyCounter.name == LEDGER_COUNTER))
    account_rows = {account.id: account for account in session.scalars(
        select_for(establishment, LedgerAccount))}
    running: dict[int, int] = {}
    expected, previous, count = 1, GENESIS, 0
    entries: Iterable[LedgerEntry] = session.scalars(
        select_for(establishment, LedgerEntry).order_by(LedgerEntry.sequence)
        .execution_options(yield_per=1000))
    for entry in entries:
        count += 1
        if entry.sequence != expected:
            problems.append(Problem(
                _("entries %(first)s to %(last)s are missing (deleted)", first=expected,
                  last=entry.sequence - 1) if entry.sequence > expected
                else _("sequence number repeated or out of order"),
                expected if entry.sequence > expected else entry.sequence, None,
                entry.account_id))
        if entry.previous_hash != previous:
            problems.append(Problem(_("does not chain on the previous entry"), entry.sequence,
                                    entry.id, entry.account_id))
        if entry_hash(entry) != entry.hash:
            problems.append(Problem(_("content was changed after it was posted"),
                                    entry.sequence, entry.id, entry.account_id))
        account = account_rows.get(entry.account_id)
        if account is None:
            problems.append(Problem(_("its account belongs to another establishment"),
                                    entry.sequence, entry.id, entry.account_id))
        elif account.currency != entry.currency:
            problems.append(Problem(_("currency differs from its account's"), entry.sequence,
                                    entry.id, entry.account_id))
        running[entry.account_id] = running.get(entry.account_id, 0) + entry.amount
        if entry.balance_after != running[entry.account_id]:
            problems.append(Problem(_("running balance does not add up"), entry.sequence,
                                    entry.id, entry.account_id))
        previous, expected = entry.hash, max(expected, entry.sequence) + 1
    last = expected - 1
    if counter is not None and counter.value > last:
        problems.append(Problem(_("entries %(first)s to %(last)s are missing (deleted)",
                                  first=last + 1, last=counter.value), last + 1))
    elif counter is not None and count and counter.head != previous:
        problems.append(Problem(_("the chain's head does not match the last entry"), last))
    elif counter is None and count:
        problems.append(Problem(_("entries exist but the chain counter is missing"), 1))
    problems.sort(key=lambda problem: (problem.sequence is None, problem.sequence or 0))
    for account in account_rows.values():
        total = running.get(account.id, 0)
        if account.balance != total:
            problems.append(Problem(
                _("balance %(cached)s differs from the sum of its entries %(total)s",
                  cached=account.balance, total=total), account_id=account.id))
    return Verification(establishment.slug, count, len(account_rows), tuple(problems))


def verify_establishment(db, establishment_id: int) -> Verification:
    """:func:`verify` in a session of its own, reading one consistent snapshot."""
    with db.session() as session:
        _snapshot(session)
        return verify(session, session.get(Establishment, establishment_id))


def verify_task(ctx) -> None:
    """Scheduled task (nightly, per establishment): :func:`verify`, recorded in the audit log
    (``ledger.verify``); a broken ledger makes the run fail, so the task's last error names
    the first broken entry."""
    result = verify_establishment(ctx.db, ctx.establishment.id)
    with ctx.db.transaction() as session:
        audit.record(session, "ledger.verify", establishment=session.get(
            Establishment, ctx.establishment.id), actor="task", details={
            "ok": result.ok, "entries": result.entries, "accounts": result.accounts,
            "first_problem": str(result.first) if result.first else "",
            "problems": len(result.problems)})
    if not result.ok:
        log.error("ledger verification failed: %s", result.summary())
        raise LedgerBroken(result.summary())
    log.info("%s", result.summary())


__all__ = [
    "GENESIS",
    "LedgerBroken",
    "Posted",
    "Problem",
    "Verification",
    "account_by_id",
    "accounts",
    "accounts_query",
    "append_entry",
    "entry_hash",
    "find_account",
    "get_account",
    "lock_account",
    "locked_counter",
    "locked_counters",
    "next_number",
    "open_account",
    "open_accounts",
    "post_entry",
    "post_locked",
    "reverse",
    "reverse_entry",
    "statement",
    "verify",
    "verify_establishment",
    "verify_task",
]
