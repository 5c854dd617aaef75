"""Reconciliation: compare what Paybox took with what Régie recorded.

The seed manual asks the establishment to compare the two lists by hand every week; this
module does it from the back office's CSV export (whose columns no public document fixes,
hence the column mapping) or, for payments still pending, from Paybox Direct inquiries.

Three lists come out: at Paybox but not in Régie, in Régie but not at Paybox, and payments in
both whose amount or state differ. Applying records what Paybox took through the core's
normal notification path (same exactly-once rules, amount checked by the core).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs
from babel.numbers import get_currency_precision

from regie_paybox.protocol import ascii_text

#: Logical columns → header names seen in back-office exports (compared without accents or
#: case). ``--mapping reference="Ref. cde"`` adds or replaces one.
DEFAULT_HEADERS = {
    "reference": ("reference commande", "reference de la commande", "ref commande",
                  "reference", "numero de commande", "ref"),
    "amount": ("montant", "montant de la transaction", "amount"),
    "date": ("date", "date de la transaction", "date transaction", "date de paiement"),
    "state": ("statut", "etat", "status", "state"),
    "transaction": ("numero de transaction", "num transaction", "no transaction", "numtrans",
                    "transaction"),
    "currency": ("devise", "currency"),
}
REQUIRED_COLUMNS = ("reference", "amount")
#: Back-office states (without accents, lower case) → the core's payment states.
STATES = {
    "capture": "succeeded", "autorise": "succeeded", "paye": "succeeded", "accepte": "succeeded",
    "ok": "succeeded", "valide": "succeeded", "telecollecte": "succeeded",
    "rembourse": "refunded", "refuse": "failed", "rejete": "failed", "echec": "failed",
    "annule": "cancelled", "abandonne": "cancelled", "en attente": "pending",
}
MONEY_STATES = ("succeeded", "refunded")


class ExportError(ValueError):
    """An export that cannot be read; the message says what to change."""


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", ascii_text(text).lower().replace(".", " ")).strip()


@attrs.frozen
class PayboxRow:
    """One transaction of the export."""

    line: int
    reference: str
    amount: int
    state: str
    raw_state: str = ""
    transaction: str = ""
    date: dt.datetime | None = None


def decode(data: bytes, encoding: str | None = None) -> str:
    """The export's text: the given encoding, else UTF-8 (with or without BOM), else
    Windows-1252 / Latin-1 as French spreadsheets write."""
    if encoding:
        return data.decode(encoding)
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


def parse_amount(text: str, currency: str, *, minor_units: bool = False) -> int:
    """``12,50`` / ``1 234,56 €`` / ``12.5`` → minor units; with ``minor_units`` the text is
    already in cents (``1250``)."""
    cleaned = re.sub(r"[^\d,.\-]", "", text or "")
    if not cleaned:
        raise ValueError(f"no amount in {text!r}")
    if minor_units:
        if not re.fullmatch(r"-?\d+", cleaned):
            raise ValueError(f"{text!r} is not a whole number of cents")
        return int(cleaned)
    if "," in cleaned and "." in cleaned:
        cleaned = cleaned.replace(".", "") if cleaned.rfind(",") > cleaned.rfind(".") else (
            cleaned.replace(",", ""))
    cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount") from None
    scaled = value.scaleb(get_currency_precision(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{text!r} has more decimals than {currency} allows")
    return int(scaled)


def parse_date(text: str) -> dt.datetime | None:
    text = (text or "").strip()
    for pattern in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S",
                    "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d", "%d%m%Y"):
        try:
            return dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def _columns(header: Sequence[str], mapping: Mapping[str, str]) -> dict[str, int]:
    plain = [_plain(name) for name in header]
    found: dict[str, int] = {}
    for column, candidates in DEFAULT_HEADERS.items():
        names = [mapping[column]] if column in mapping else list(candidates)
        for name in names:
            if _plain(name) in plain:
                found[column] = plain.index(_plain(name))
                break
    unknown = set(mapping) - set(DEFAULT_HEADERS)
    if unknown:
        raise ExportError(f"unknown column name(s) in the mapping: {', '.join(sorted(unknown))}"
                          f" (known: {', '.join(DEFAULT_HEADERS)})")
    missing = [column for column in REQUIRED_COLUMNS if column not in found]
    if missing:
        hints = ", ".join(f'--mapping {column}="<header>"' for column in missing)
        raise ExportError(f"the export has no column for {', '.join(missing)}; its headers are: "
                          f"{'; '.join(header)}. Say which with {hints}")
    return found


def read_export(data: bytes, *, currency: str, mapping: Mapping[str, str] | None = None,
                encoding: str | None = None, delimiter: str | None = None,
                minor_units: bool = False) -> tuple[list[PayboxRow], list[str]]:
    """The rows of a back-office export and the problems of the lines that could not be read
    (each names its line; the other lines are still used)."""
    try:
        text = decode(data, encoding)
    except (LookupError, UnicodeDecodeError) as exc:
        raise ExportError(f"cannot decode the file: {exc}") from None
    lines = text.splitlines()
    if not lines:
        raise ExportError("the file is empty")
    if delimiter is None:
        counts = {sep: lines[0].count(sep) for sep in (";", "\t", ",")}
        delimiter = max(counts, key=counts.get) if any(counts.values()) else ";"
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader)
    columns = _columns(header, mapping or {})
    rows, problems = [], []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue

        def cell(column: str, cells=cells) -> str:
            index = columns.get(column)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        reference = cell("reference")
        if not reference:
            problems.append(f"line {number}: no reference")
            continue
        try:
            amount = parse_amount(cell("amount"), cell("currency") or currency,
                                  minor_units=minor_units)
        except ValueError as exc:
            problems.append(f"line {number}: {exc}")
            continue
        raw_state = cell("state")
        state = STATES.get(_plain(raw_state), "succeeded" if not raw_state else "unknown")
        rows.append(PayboxRow(number, reference, amount, state, raw_state,
                              cell("transaction"), parse_date(cell("date"))))
    return rows, problems


@attrs.frozen
class RegiePayment:
    """What reconciliation needs of a Régie payment (plain data)."""

    id: int
    reference: str
    amount: int
    state: str
    created_at: dt.datetime | None = None


@attrs.define
class Report:
    """The three lists (and what was recorded, and the lines that could not be read). A
    refund is not a difference: refunded payments took money, like succeeded ones."""

    at_paybox_only: list[dict[str, Any]] = attrs.Factory(list)
    in_regie_only: list[dict[str, Any]] = attrs.Factory(list)
    mismatches: list[dict[str, Any]] = attrs.Factory(list)
    applied: list[dict[str, Any]] = attrs.Factory(list)
    problems: list[str] = attrs.Factory(list)

    @property
    def clean(self) -> bool:
        return not (self.at_paybox_only or self.in_regie_only or self.mismatches
                    or self.problems)

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def _best(rows: Iterable[PayboxRow]) -> PayboxRow:
    """Of several attempts for one order, the one that took money, else the last one."""
    rows = list(rows)
    taken = [row for row in rows if row.state in MONEY_STATES]
    return (taken or rows)[-1]


def compare(rows: Sequence[PayboxRow], payments: Mapping[str, RegiePayment],
            period_payments: Iterable[RegiePayment]) -> Report:
    """Compare export ``rows`` with Régie's Paybox payments.

    ``payments`` maps every reference of the export to its Régie payment when there is one
    (whatever its date); ``period_payments`` are Régie's Paybox payments of the period, to
    find those Paybox does not know.
    """
    report = Report()
    by_reference: dict[str, list[PayboxRow]] = {}
    for row in rows:
        by_reference.setdefault(row.reference, []).append(row)
    for reference, attempts in by_reference.items():
        row = _best(attempts)
        payment = payments.get(reference)
        at_paybox = {"reference": reference, "amount": row.amount, "state": row.state,
                     "paybox_state": row.raw_state, "transaction": row.transaction,
                     "line": row.line}
        if payment is None:
            if row.state in MONEY_STATES:
                report.at_paybox_only.append(at_paybox)
            continue
        paid_at_paybox = row.state in MONEY_STATES
        differences = []
        if paid_at_paybox and row.amount != payment.amount:
            differences.append("amount")
        if paid_at_paybox != (payment.state in MONEY_STATES):
            differences.append("state")
        if differences:
            report.mismatches.append({**at_paybox, "payment_id": payment.id,
                                      "regie_amount": payment.amount,
                                      "regie_state": payment.state,
                                      "differences": differences})
    for payment in period_payments:
        if payment.state in MONEY_STATES and payment.reference not in by_reference:
            report.in_regie_only.append({"reference": payment.reference,
                                         "payment_id": payment.id, "amount": payment.amount,
                                         "state": payment.state})
    return report


def to_apply(report: Report) -> list[dict[str, Any]]:
    """Mismatches where Paybox took the money and Régie has not recorded it: what ``--apply``
    records through the core's notification path."""
    return [item for item in report.mismatches
            if item["state"] in MONEY_STATES
            and item["regie_state"] in ("pending", "failed", "cancelled")]
