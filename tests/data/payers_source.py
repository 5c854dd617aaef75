"""A sync source for the tests, registered as part of the core: payers ``number;name`` opened
as ledger accounts; all lines or none; a payer already known is unchanged; a payer named
``CRASH`` stops the run in the middle of its transaction."""

from __future__ import annotations

from regie.api import (
    Establishment,
    Rejects,
    SyncOutcome,
    SyncSource,
    get_account,
    hookimpl,
    open_account,
    read_csv,
)

KIND = "test.payer"


def import_payers(ctx):
    lines = read_csv(ctx.path.read_bytes(), columns=2)
    rejects = Rejects()
    for line in lines:
        if not line.cells[0].isdigit():
            rejects.add(line.number, f"the number '{line.cells[0]}' is not a number", line.raw)
    if rejects:
        return SyncOutcome(imported=0, rejects=rejects)
    imported = unchanged = 0
    ctx.progress.start(total=len(lines))
    with ctx.db.transaction() as session:
        establishment = session.get(Establishment, ctx.establishment_id)
        for done, line in enumerate(lines, 1):
            number, name = line.cells
            if get_account(session, establishment, kind=KIND, owner_key=number):
                unchanged += 1
            else:
                open_account(session, establishment, kind=KIND, owner_key=number, label=name)
                imported += 1
            if name == "CRASH":
                raise RuntimeError("the disk is full")
            ctx.progress.advance(done)
    return SyncOutcome(imported=imported, unchanged=unchanged)


@hookimpl
def regie_sync_sources():
    return [SyncSource("test_payers", "Payers", import_payers, suffixes=(".csv", ".txt"))]


def engine():
    """An engine with no plugin and this source as part of the core."""
    import sys

    from regie.engine import Engine
    from regie.engine.manager import _builtin_modules
    from regie.runtime import CORE_COMMANDS

    return Engine([], builtins=[*_builtin_modules(), sys.modules[__name__]],
                  reserved_cli=CORE_COMMANDS)
