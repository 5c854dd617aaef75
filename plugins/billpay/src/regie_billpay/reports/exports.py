"""The files a day's reports are downloaded as: PDFs and each payee's DBF."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from regie.api import Establishment
from regie_billpay.models import Desk, Payee
from regie_billpay.reports import registers
from regie_billpay.reports.dbf_files import payee_file_bytes, write_payee_file


def dbf_filename(payee: Payee, day: dt.date) -> str:
    code = re.sub(r"[^A-Za-z0-9_-]+", "_", payee.code) or str(payee.id)
    return f"{code}_{day:%Y%m%d}.dbf"


def payee_dbf(session: Session, establishment: Establishment, day: dt.date,
              desks: Sequence[Desk], payee: Payee) -> tuple[str, bytes]:
    """``(filename, bytes)`` of ``payee``'s DBF file of ``day`` at ``desks``."""
    lines = (line for _id, line in registers.payee_lines(session, establishment, day, desks,
                                                         payee))
    return dbf_filename(payee, day), payee_file_bytes(lines, encoding=payee.dbf_encoding,
                                                      payee=payee.code)


def write_day_dbf(session: Session, establishment: Establishment, day: dt.date,
                  desks: Sequence[Desk], folder: Path) -> list[Path]:
    """One DBF file per payee paid on ``day`` at ``desks``, written into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    known = {payee.id: payee for payee in registers.payees(session, establishment)}
    written = []
    for payee_id, group in itertools.groupby(
            registers.payee_lines(session, establishment, day, desks), key=lambda item: item[0]):
        payee = known[payee_id]
        path = folder / dbf_filename(payee, day)
        write_payee_file(path, (line for _id, line in group), encoding=payee.dbf_encoding,
                         payee=payee.code)
        written.append(path)
    return written
