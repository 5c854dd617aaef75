"""The settlement centre's files as core sync sources: cities, payees, services, subscriber
accounts and accruals, each as CSV (UTF-8, a header line naming the columns, ``;`` or ``,``)
or dBase III (DBF, field names as below, the code page the header declares, else the
source option ``encoding``, else cp866).

Columns (``*`` optional):

- cities: ``code``, ``name``
- payees: ``code``, ``name``, ``edrpou*``, ``iban*``, ``dbf_enc*`` (code page of its DBF files)
- services: ``code``, ``name``, ``payee`` (its code), ``priority*`` (smaller first)
- subscribers: ``city`` (code), ``account``, ``surname``, ``street``, ``house``, ``apartment*``
- accruals: ``city``, ``account``, ``service`` (code), ``period`` (``2026-10`` or
  ``10.2026``), ``amount`` (``123.45`` or ``123,45``)

Importing the same file again changes nothing. A file with any bad line imports nothing and
gives the reject file (line number, reason, original line); a DBF value whose bytes are not
text in the file's code page is refused, never stored garbled.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path

import attrs
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from regie.api import (
    Establishment,
    Invalid,
    Rejects,
    SyncContext,
    SyncOutcome,
    SyncSource,
    read_csv,
    select_for,
)
from regie.api import gettext as _
from regie.api import lazy_gettext as _l
from regie_billpay import dbf_reader
from regie_billpay.models import Accrual, City, Payee, Service, Subscriber, search_key
from regie_billpay.search import address_part, street_key

FILE = "file"
DEFAULT_DBF_ENCODING = "cp866"
BATCH = 5000


@attrs.frozen
class Kind:
    code: str
    label: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


KINDS = {
    "cities": Kind("cities", _l("Cities"), ("code", "name")),
    "payees": Kind("payees", _l("Payees"), ("code", "name"), ("edrpou", "iban", "dbf_enc")),
    "services": Kind("services", _l("Services"), ("code", "name", "payee"), ("priority",)),
    "subscribers": Kind("subscribers", _l("Subscriber accounts"),
                        ("city", "account", "surname", "street", "house"), ("apartment",)),
    "accruals": Kind("accruals", _l("Accruals"),
                     ("city", "account", "service", "period", "amount")),
}


# --- reading a file into rows --------------------------------------------------------------


Row = tuple[int, dict[str, str], str]
"""(line or record number, column → text, the original line)."""


def kind_of(columns: set[str]) -> Kind | None:
    """The kind whose required columns a file has and which knows most of its columns."""
    matching = [kind for kind in KINDS.values() if set(kind.required) <= columns]
    return max(matching, key=lambda kind: len(columns & set(kind.columns)), default=None)


def _csv_rows(data: bytes, rejects: Rejects) -> tuple[set[str], list[Row]]:
    lines = read_csv(data)
    header = [cell.strip().lower() for cell in lines[0].cells]
    rejects.header = lines[0].raw
    rows = []
    for line in lines[1:]:
        if len(line.cells) != len(header):
            rejects.add(line.number, _("%(found)d columns where the header has %(expected)d",
                                       found=len(line.cells), expected=len(header)), line.raw)
            continue
        rows.append((line.number, dict(zip(header, line.cells, strict=True)), line.raw))
    return set(header), rows


def _dbf_rows(data: bytes, encoding: str | None, rejects: Rejects) -> tuple[set[str], list[Row]]:
    dbf = dbf_reader.read_dbf(data)
    chosen = encoding or dbf.encoding or DEFAULT_DBF_ENCODING
    rows = []
    for number, values, raw in dbf_reader.rows(dbf, chosen):
        if isinstance(values, str):
            rejects.add(number, _("record %(number)d: %(reason)s", number=number,
                                  reason=values), raw)
        else:
            rows.append((number, values, raw))
    return {field.name.lower() for field in dbf.fields}, rows


def read_rows(path: Path, *, encoding: str | None = None,
              expected: Kind | None = None) -> tuple[Kind, list[Row], Rejects]:
    """The kind, rows and unreadable lines of a centre's file; :class:`Invalid` for a file
    that cannot be read at all or holds another kind of records than ``expected``."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise Invalid({"encoding": _("'%(encoding)s' is not a code page (use cp866 or "
                                         "cp1251).", encoding=encoding)}) from None
    data = path.read_bytes()
    rejects = Rejects()
    if path.suffix.lower() == ".dbf":
        columns, rows = _dbf_rows(data, encoding, rejects)
    else:
        columns, rows = _csv_rows(data, rejects)
    kind = expected or kind_of(columns)
    if kind is None or not set(kind.required) <= columns:
        wanted = ", ".join((kind or KINDS["accruals"]).required)
        raise Invalid({FILE: _("The columns of %(name)s (%(found)s) are not those of a centre's "
                               "file; %(kind)s need: %(wanted)s.", name=path.name,
                               found=", ".join(sorted(columns)),
                               kind=(kind or KINDS["accruals"]).label, wanted=wanted)})
    return kind, rows, rejects


# --- checking values -----------------------------------------------------------------------


class Refused(ValueError):
    """A value of a line that cannot be imported; the message says why."""


def text(values: dict[str, str], column: str, limit: int, *, required: bool = True) -> str:
    value = " ".join(values.get(column, "").split())
    if required and not value:
        raise Refused(_("%(column)s is empty", column=column))
    if len(value) > limit:
        raise Refused(_("%(column)s is longer than %(limit)d characters", column=column,
                        limit=limit))
    return value


def amount(value: str) -> int:
    """Kopiyky of ``123.45`` / ``123,45`` / ``-5``; more than 2 decimals is refused."""
    try:
        number = Decimal(value.strip().replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise Refused(_("'%(value)s' is not an amount", value=value)) from None
    kopiyky = number * 100
    if not number.is_finite() or kopiyky != kopiyky.to_integral_value():
        raise Refused(_("'%(value)s' is not an amount with at most 2 decimals", value=value))
    return int(kopiyky)


_PERIOD = (re.compile(r"(\d{4})-(\d{1,2})(?:-01)?"), re.compile(r"(?:01\.)?(\d{1,2})\.(\d{4})"))


def period(value: str) -> dt.date:
    value = value.strip()
    year_first = _PERIOD[0].fullmatch(value)
    month_first = _PERIOD[1].fullmatch(value)
    try:
        if year_first:
            return dt.date(int(year_first[1]), int(year_first[2]), 1)
        if month_first:
            return dt.date(int(month_first[2]), int(month_first[1]), 1)
    except ValueError:
        pass
    raise Refused(_("'%(value)s' is not a month (2026-10 or 10.2026)", value=value))


def priority(value: str) -> int:
    if not value.strip():
        return 100
    if not value.strip().isdigit():
        raise Refused(_("priority '%(value)s' is not a whole number", value=value))
    return int(value)


def encoding_name(value: str) -> str:
    value = value.strip().lower() or DEFAULT_DBF_ENCODING
    try:
        codecs.lookup(value)
    except LookupError:
        raise Refused(_("'%(value)s' is not a code page", value=value)) from None
    return value


# --- the importers -------------------------------------------------------------------------


@attrs.define
class Counts:
    imported: int = 0
    unchanged: int = 0


def _upsert(session: Session, model, existing: dict, key, values: dict,
            counts: Counts) -> None:
    """Create the row of ``key`` or bring it to ``values``, counting what changed."""
    row = existing.get(key)
    if row is None:
        row = model(**values)
        session.add(row)
        existing[key] = row
        counts.imported += 1
    elif any(getattr(row, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(row, name, value)
        counts.imported += 1
    else:
        counts.unchanged += 1


def _by(session: Session, place: Establishment, model, *attributes) -> dict:
    key = (lambda row: getattr(row, attributes[0])) if len(attributes) == 1 else (
        lambda row: tuple(getattr(row, name) for name in attributes))
    return {key(row): row for row in session.scalars(select_for(place, model))}


def _checked(rows: list[Row], rejects: Rejects, check: Callable[[dict[str, str]], dict],
             seen_key: Callable[[dict], object]) -> list[dict]:
    """The rows' values, checked; a line with a bad value, or repeating an earlier line's
    key, goes to ``rejects`` with the reason."""
    good, seen = [], {}
    for number, values, raw in rows:
        try:
            checked = check(values)
        except Refused as exc:
            rejects.add(number, str(exc), raw)
            continue
        key = seen_key(checked)
        if key in seen:
            rejects.add(number, _("repeats line %(line)d", line=seen[key]), raw)
            continue
        seen[key] = number
        good.append(checked)
    return good


def import_cities(session: Session, place: Establishment, rows: list[Row],
                  rejects: Rejects) -> Counts:
    good = _checked(rows, rejects, lambda v: {"code": text(v, "code", 20),
                                              "name": text(v, "name", 100)},
                    lambda v: v["code"])
    counts = Counts()
    if rejects:
        return counts
    existing = _by(session, place, City, "code")
    for values in good:
        _upsert(session, City, existing, values["code"],
                {"establishment_id": place.id, **values}, counts)
    return counts


def import_payees(session: Session, place: Establishment, rows: list[Row],
                  rejects: Rejects) -> Counts:
    def check(v):
        edrpou = text(v, "edrpou", 10, required=False)
        if edrpou and not edrpou.isdigit():
            raise Refused(_("EDRPOU '%(value)s' is not a number", value=edrpou))
        return {"code": text(v, "code", 20), "name": text(v, "name", 200), "edrpou": edrpou,
                "iban": text(v, "iban", 34, required=False).replace(" ", ""),
                "dbf_encoding": encoding_name(v.get("dbf_enc", ""))}

    good = _checked(rows, rejects, check, lambda v: v["code"])
    counts = Counts()
    if rejects:
        return counts
    existing = _by(session, place, Payee, "code")
    for values in good:
        _upsert(session, Payee, existing, values["code"],
                {"establishment_id": place.id, **values}, counts)
    return counts


def import_services(session: Session, place: Establishment, rows: list[Row],
                    rejects: Rejects) -> Counts:
    payees = {code: payee.id for code, payee in _by(session, place, Payee, "code").items()}

    def check(v):
        payee = text(v, "payee", 20)
        if payee not in payees:
            raise Refused(_("unknown payee '%(code)s'", code=payee))
        return {"code": text(v, "code", 20), "name": text(v, "name", 200),
                "payee_id": payees[payee], "priority": priority(v.get("priority", ""))}

    good = _checked(rows, rejects, check, lambda v: v["code"])
    counts = Counts()
    if rejects:
        return counts
    existing = _by(session, place, Service, "code")
    for values in good:
        _upsert(session, Service, existing, values["code"],
                {"establishment_id": place.id, **values}, counts)
    return counts


def _cities(session: Session, place: Establishment) -> dict[str, int]:
    return {code: city.id for code, city in _by(session, place, City, "code").items()}


def import_subscribers(session: Session, place: Establishment, rows: list[Row],
                       rejects: Rejects) -> Counts:
    cities = _cities(session, place)

    def check(v):
        city = text(v, "city", 20)
        if city not in cities:
            raise Refused(_("unknown city '%(code)s'", code=city))
        street = text(v, "street", 200)
        surname = text(v, "surname", 100)
        return {"city_id": cities[city], "account_number": text(v, "account", 30),
                "surname": surname, "street": street,
                "house": address_part(text(v, "house", 20)),
                "apartment": address_part(text(v, "apartment", 20, required=False)),
                "street_key": street_key(street), "surname_key": search_key(surname)}

    good = _checked(rows, rejects, check, lambda v: (v["city_id"], v["account_number"]))
    counts = Counts()
    if rejects:
        return counts
    existing = {key: values for key, values in _subscriber_rows(session, place).items()}
    new, changed = [], []
    for values in good:
        key = (values["city_id"], values["account_number"])
        row = existing.get(key)
        if row is None:
            new.append({"establishment_id": place.id, **values})
        elif any(row[name] != value for name, value in values.items()):
            changed.append({"id": row["id"], **values})
        else:
            counts.unchanged += 1
    for start in range(0, len(new), BATCH):
        session.execute(insert(Subscriber), new[start:start + BATCH])
    if changed:
        session.execute(update(Subscriber), changed)
    counts.imported = len(new) + len(changed)
    return counts


_SUBSCRIBER_COLUMNS = ("id", "city_id", "account_number", "surname", "street", "house",
                       "apartment", "street_key", "surname_key")


def _subscriber_rows(session: Session, place: Establishment) -> dict[tuple, dict]:
    columns = [getattr(Subscriber, name) for name in _SUBSCRIBER_COLUMNS]
    return {(row.city_id, row.account_number): row._asdict() for row in session.execute(
        select(*columns).where(Subscriber.establishment_id == place.id))}


def import_accruals(session: Session, place: Establishment, rows: list[Row],
                    rejects: Rejects) -> Counts:
    cities = _cities(session, place)
    services = {code: s.id for code, s in _by(session, place, Service, "code").items()}
    accounts = {(city_id, number): row["id"]
                for (city_id, number), row in _subscriber_rows(session, place).items()}

    def check(v):
        city = text(v, "city", 20)
        if city not in cities:
            raise Refused(_("unknown city '%(code)s'", code=city))
        account = text(v, "account", 30)
        subscriber = accounts.get((cities[city], account))
        if subscriber is None:
            raise Refused(_("unknown personal account %(account)s in city %(city)s",
                            account=account, city=city))
        service = text(v, "service", 20)
        if service not in services:
            raise Refused(_("unknown service '%(code)s'", code=service))
        return {"subscriber_id": subscriber, "service_id": services[service],
                "period": period(v.get("period", "")), "amount": amount(v.get("amount", ""))}

    good = _checked(rows, rejects, check,
                    lambda v: (v["subscriber_id"], v["service_id"], v["period"]))
    counts = Counts()
    if rejects:
        return counts
    existing = {(row.subscriber_id, row.service_id, row.period): (row.id, row.amount)
                for row in session.execute(
                    select(Accrual.id, Accrual.subscriber_id, Accrual.service_id,
                           Accrual.period, Accrual.amount)
                    .where(Accrual.establishment_id == place.id))}
    new, changed = [], []
    for values in good:
        found = existing.get((values["subscriber_id"], values["service_id"], values["period"]))
        if found is None:
            new.append({"establishment_id": place.id, **values})
        elif found[1] != values["amount"]:
            changed.append({"id": found[0], "amount": values["amount"]})
        else:
            counts.unchanged += 1
    for start in range(0, len(new), BATCH):
        session.execute(insert(Accrual), new[start:start + BATCH])
    if changed:
        session.execute(update(Accrual), changed)
    counts.imported = len(new) + len(changed)
    return counts


IMPORTERS = {"cities": import_cities, "payees": import_payees, "services": import_services,
             "subscribers": import_subscribers, "accruals": import_accruals}


def run_file(ctx: SyncContext, expected: Kind | None = None) -> SyncOutcome:
    """Import the file of ``ctx`` (its kind from its columns unless ``expected``): all its
    lines in one transaction, or nothing and the reject file."""
    kind, rows, rejects = read_rows(ctx.path, encoding=ctx.options.get("encoding"),
                                    expected=expected)
    ctx.progress.start(len(rows))
    with ctx.db.transaction() as session:
        place = session.get(Establishment, ctx.establishment_id)
        counts = IMPORTERS[kind.code](session, place, rows, rejects)
        if rejects:  # the importers wrote nothing
            return SyncOutcome(0, 0, rejects, _(
                "%(kind)s: %(count)d bad lines, nothing imported; correct them (see the reject "
                "file) and import the file again.", kind=kind.label, count=len(rejects)))
    ctx.progress.advance(len(rows))
    return SyncOutcome(counts.imported, counts.unchanged, None, _(
        "%(kind)s: %(imported)d imported, %(unchanged)d unchanged.", kind=kind.label,
        imported=counts.imported, unchanged=counts.unchanged))


def _runner(kind: Kind | None) -> Callable[[SyncContext], SyncOutcome]:
    def run(ctx: SyncContext) -> SyncOutcome:
        return run_file(ctx, kind)

    return run


SUFFIXES = (".csv", ".dbf")


def sync_sources() -> list[SyncSource]:
    """One source per kind of file, and ``billpay.centre`` that tells the kind by the columns
    (what ``regie billpay import FILE`` uses)."""
    return [SyncSource("billpay.centre", _l("Settlement centre file (any kind)"), _runner(None),
                       description=_l("Cities, payees, services, subscribers or accruals, told "
                                      "apart by their columns."), suffixes=SUFFIXES),
            *(SyncSource(f"billpay.{kind.code}", kind.label, _runner(kind),
                         description=_l("Columns: %(columns)s", columns=", ".join(kind.columns)),
                         suffixes=SUFFIXES)
              for kind in KINDS.values())]
