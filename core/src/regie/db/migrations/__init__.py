"""Schema migrations: one Alembic history for the core and one for each loaded plugin.

The core's revisions live in ``regie/db/migrations/versions`` under the branch label ``regie``. A
plugin with tables names a package in ``PluginInfo(migrations="regie_markets.migrations")``; the
revision files in that package's folder form its own history, whose branch label is the plugin's
name and whose first revision depends on the core's first one (its tables may reference
``establishment``). ``regie db revision --plugin NAME`` writes new files there.

Alembic is configured here, in code (no ``alembic.ini``), and always runs on an open connection
in one transaction: a failing upgrade leaves the database as it was. On SQLite, foreign keys are
switched off while tables are rebuilt (batch mode) and checked before commit; on PostgreSQL an
advisory lock keeps two upgrades from running at once.

Targets of :func:`upgrade` and :func:`downgrade`:

``heads``
    the last revision of every history (the default of ``upgrade``);
``base``
    before the first revision of every history (``downgrade`` only: drops every table);
``<branch>@head``, ``<branch>@base``
    the last revision, or before the first, of one history (``markets@base`` drops the markets
    tables; ``regie@base`` drops the core's and, first, those of every plugin);
``<branch>@-N``, ``<branch>@+N``
    N revisions down or up one history (``markets@-1``);
``-N``, ``+N``
    N revisions, when the core is the only history;
a revision id (or a unique prefix of one)
    that revision, with what it depends on.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from regie.db import models  # noqa: F401 - the core's tables must be in Model.metadata
from regie.db.base import Model

HERE = Path(__file__).resolve().parent
CORE_VERSIONS = HERE / "versions"
CORE_BRANCH = "regie"
#: Any constant: the PostgreSQL advisory lock held while migrating.
_PG_LOCK = 7_231_605_221

UPGRADE_HINT = "run `regie db upgrade`"


class MigrationError(Exception):
    """Migrations cannot run or cannot be created; the message says why and what to do."""


class PendingMigrations(MigrationError):
    """The database is behind the code. ``pending`` lists the revisions not applied."""

    def __init__(self, pending: list[str]) -> None:
        self.pending = pending
        lines = "\n".join(f"  - {revision}" for revision in pending)
        super().__init__(f"the database is not up to date: {len(pending)} migration(s) pending; "
                         f"{UPGRADE_HINT}\n{lines}")


# --- public API ----------------------------------------------------------------------------------


def branches(runtime) -> dict[str, Path]:
    """History name → folder of its revision files: the core, then every loaded plugin that
    has migrations, in configuration order."""
    folders = {CORE_BRANCH: CORE_VERSIONS}
    for name, plugin in runtime.engine.plugins.items():
        if plugin.info.migrations:
            folders[name] = _package_folder(name, plugin.info.migrations)
    return folders


def heads(runtime) -> dict[str, str]:
    """History → its last revision, as the code ships it."""
    script = _script(runtime)
    return {_branch(script.get_revision(head)): head for head in script.get_heads()}


def current(runtime) -> dict[str, str]:
    """History → revision the database is at; a history never applied is absent."""
    script = _script(runtime)
    with _reading(runtime) as connection:
        applied = _applied(script, connection)
    return {_branch(script.get_revision(revision)): revision for revision in applied}


def pending(runtime) -> list[str]:
    """The revisions not applied yet, in the order ``upgrade`` applies them, each as
    ``"<history> <revision>: <message>"``."""
    script = _script(runtime)
    with _reading(runtime) as connection:
        applied = _applied(script, connection)
    return [_describe_revision(revision) for revision in _pending(script, applied)]


def assert_up_to_date(runtime) -> None:
    """Raise :class:`PendingMigrations` when some revision is not applied (``serve`` refuses
    to start on an old schema), :class:`MigrationError` when a plugin with a migrations
    package has no revision yet."""
    missing = pending(runtime)
    if missing:
        raise PendingMigrations(missing)
    _check_histories(runtime, _script(runtime))


def upgrade(runtime, target: str = "heads") -> list[str]:
    """Apply the revisions up to ``target`` (see the module's documentation for targets);
    return what was applied, described as by :func:`pending`."""
    script = _script(runtime)
    with _writing(runtime) as connection:
        before = set(_applied(script, connection))
        _run(runtime, connection, lambda config: command.upgrade(config, target))
        after = _applied(script, connection)
    return [_describe_revision(revision)
            for revision in _between(script, upper=after, lower=before)]


def downgrade(runtime, target: str) -> list[str]:
    """Revert the revisions above ``target`` (``"markets@base"``, ``"regie@-1"``, ``"base"``
    …); return what was reverted, most recent first."""
    script = _script(runtime)
    with _writing(runtime) as connection:
        before = _applied(script, connection)
        _run(runtime, connection, lambda config: command.downgrade(config, target))
        after = _applied(script, connection)
    return [_describe_revision(revision)
            for revision in reversed(_between(script, upper=before, lower=after))]


def check(runtime) -> list[str]:
    """Differences between the models and the migrations, as sentences; empty when in sync.

    The database must be up to date (else :class:`PendingMigrations`): it is the migrations'
    result that is compared with the models of the core and of the loaded plugins.
    """
    from alembic.autogenerate import compare_metadata

    assert_up_to_date(runtime)
    tables = _tables(runtime)
    with _reading(runtime) as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True,
            "include_name": lambda name, type_, parents: type_ != "table" or name in tables,
            "include_object": lambda obj, name, type_, *rest: type_ != "table" or name in tables,
        })
        differences = compare_metadata(context, Model.metadata)
    return [_describe_difference(difference) for difference in differences]


def revision(runtime, message: str, plugin: str, *, autogenerate: bool = False) -> Path | None:
    """Write a new revision file in the history of ``plugin`` (``regie`` for the core) and
    return its path.

    The first revision of a plugin starts its history (branch label = the plugin's name) and
    depends on the core's first revision. With ``autogenerate`` the file holds the operations
    that bring the database, which must be up to date, to the plugin's models; ``None`` is
    returned, and nothing written, when there is no difference.
    """
    folders = branches(runtime)
    if plugin not in folders:
        if plugin in runtime.engine.plugins:
            package = runtime.engine.plugins[plugin].module.__name__.partition(".")[0]
            raise MigrationError(
                f"plugin '{plugin}' has no migrations package: create one (a folder with an "
                f"empty __init__.py) and name it in its plugin_info, e.g. "
                f"PluginInfo(..., migrations='{package}.migrations')")
        raise MigrationError(f"'{plugin}' is neither '{CORE_BRANCH}' nor a loaded plugin "
                             f"(loaded: {', '.join(runtime.engine.plugins) or 'none'})")
    script = _script(runtime)
    options: dict[str, Any] = {"version_path": str(folders[plugin])}
    if _branch_revisions(script, plugin):
        options["head"] = f"{plugin}@head"
    else:
        options.update(head="base", branch_label=plugin)
        if plugin != CORE_BRANCH:
            options["depends_on"] = _core_base(script)

    def drop_if_empty(context, _revision, directives) -> None:
        if autogenerate and directives[0].upgrade_ops.is_empty():
            directives[:] = []

    written: list[Script] = []

    def write(config: AlembicConfig) -> None:
        result = command.revision(config, message, autogenerate=autogenerate,
                                  process_revision_directives=drop_if_empty, **options)
        written.extend(item for item in _as_list(result) if item is not None)

    with _reading(runtime) as connection:
        _run(runtime, connection, write, tables=_tables(runtime, only=plugin))
    return Path(written[0].path) if written else None


# --- Alembic configuration -----------------------------------------------------------------------


def _package_folder(plugin: str, package: str) -> Path:
    try:
        spec = importlib.util.find_spec(package)
    except ImportError as exc:
        spec, reason = None, str(exc)
    else:
        reason = "no such package"
    if spec is None or not spec.submodule_search_locations:
        raise MigrationError(f"plugin '{plugin}': its migrations package '{package}' cannot be "
                             f"found ({reason})")
    return Path(next(iter(spec.submodule_search_locations)))


def _alembic_config(runtime) -> AlembicConfig:
    config = AlembicConfig()

    def option(name: str, value: str) -> None:
        config.set_main_option(name, value.replace("%", "%%"))

    option("script_location", str(HERE))
    option("path_separator", "os")
    option("version_locations", os.pathsep.join(str(path) for path in branches(runtime).values()))
    return config


def _script(runtime) -> ScriptDirectory:
    """The revisions of every history, refusing a history that forks: two revisions written
    on the same parent (by two branches of the code) must be put in a line before use."""
    script = ScriptDirectory.from_config(_alembic_config(runtime))
    heads_by_branch: dict[str, list[str]] = {}
    for head in script.get_heads():
        heads_by_branch.setdefault(_branch(script.get_revision(head)), []).append(head)
    for branch, branch_heads in heads_by_branch.items():
        if len(branch_heads) > 1:
            raise MigrationError(
                f"history '{branch}' has {len(branch_heads)} last revisions "
                f"({', '.join(sorted(branch_heads))}): they were written on the same parent. "
                "Set the down_revision of the newer one to the other, so that the history is "
                "a line again")
    return script


def _check_histories(runtime, script: ScriptDirectory) -> None:
    """Refuse a plugin whose migrations package holds no revision of its history: its tables
    would never be created."""
    for plugin, folder in branches(runtime).items():
        if plugin != CORE_BRANCH and not _branch_revisions(script, plugin):
            raise MigrationError(
                f"plugin '{plugin}': no revision with branch label '{plugin}' in {folder}; "
                f"create its first one with `regie db revision --plugin {plugin} -m MESSAGE`")


def _run(runtime, connection: Connection, operation: Callable[[AlembicConfig], Any], *,
         tables: frozenset[str] | None = None) -> None:
    config = _alembic_config(runtime)
    config.attributes["connection"] = connection
    config.attributes["tables"] = _tables(runtime) if tables is None else tables
    try:
        operation(config)
    except CommandError as exc:
        raise MigrationError(str(exc)) from exc
    except DBAPIError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise MigrationError(f"a migration failed, nothing was changed: {reason}") from exc


def _tables(runtime, only: str | None = None) -> frozenset[str]:
    """Names of the tables of the core and of the loaded plugins (or of ``only`` one of them).

    A table belongs to the plugin whose package defines its model class; a table without a
    model class, to the plugin its name starts with (``markets_ticket_tag``).
    """
    packages = {CORE_BRANCH: "regie"}
    packages.update({name: plugin.module.__name__.partition(".")[0]
                     for name, plugin in runtime.engine.plugins.items()})
    if only is not None:
        packages = {only: packages[only]}
    owner_by_package = {package: owner for owner, package in packages.items()}
    names: set[str] = set()
    mapped: set[str] = set()
    for mapper in Model.registry.mappers:
        for table in mapper.tables:
            mapped.add(table.name)
            if mapper.class_.__module__.partition(".")[0] in owner_by_package:
                names.add(table.name)
    for table in Model.metadata.tables.values():
        if table.name not in mapped and table.name.partition("_")[0] in packages:
            names.add(table.name)
    return frozenset(names & set(Model.metadata.tables))


# --- connections ---------------------------------------------------------------------------------


@contextlib.contextmanager
def _reading(runtime) -> Iterator[Connection]:
    runtime.db.check()
    with runtime.db.engine.connect() as connection:
        yield connection


@contextlib.contextmanager
def _writing(runtime) -> Iterator[Connection]:
    """One write transaction for the whole migration run."""
    runtime.db.check()
    with runtime.db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Outside any transaction, else SQLite ignores it: batch operations rebuild tables,
            # and dropping a table with foreign keys on would cascade into the rows pointing to it.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            connection.execution_options(sqlite_write=True)
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                       {"key": _PG_LOCK})
                yield connection
                if sqlite:
                    _check_foreign_keys(connection)
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = ", ".join(sorted({row[0] for row in broken}))
        raise MigrationError(f"the migration would leave rows pointing to missing rows in: "
                             f"{tables}; nothing was changed")


# --- revisions -----------------------------------------------------------------------------------


def _applied(script: ScriptDirectory, connection: Connection) -> tuple[str, ...]:
    """The revisions recorded in the database, refusing those the code does not know."""
    recorded = MigrationContext.configure(connection).get_current_heads()
    known = {script_revision.revision for script_revision in script.walk_revisions()}
    unknown = [revision for revision in recorded if revision not in known]
    if unknown:
        raise MigrationError(
            f"the database has revision(s) {', '.join(unknown)} that no loaded history knows: "
            "a plugin that migrated this database is missing from 'plugins' in regie.toml. "
            "Add it back; to remove it for good, first run `regie db downgrade <plugin>@base` "
            "while it is still loaded")
    return recorded


def _pending(script: ScriptDirectory, applied: tuple[str, ...]) -> list[Script]:
    return _between(script, upper=tuple(script.get_heads()), lower=applied)


def _between(script: ScriptDirectory, *, upper, lower) -> list[Script]:
    """Revisions that are ancestors of ``upper`` (inclusive) but not of ``lower``, oldest
    first."""
    wanted = _ancestors(script, upper) - _ancestors(script, lower)
    ordered = [revision for revision in script.walk_revisions() if revision.revision in wanted]
    return list(reversed(ordered))


def _ancestors(script: ScriptDirectory, revisions) -> set[str]:
    """The revisions and everything they build on: parents and dependencies."""
    seen: set[str] = set()
    stack = list(revisions)
    while stack:
        revision = script.get_revision(stack.pop())
        if revision.revision in seen:
            continue
        seen.add(revision.revision)
        stack.extend(_as_tuple(revision.down_revision))
        stack.extend(dependency.revision for dependency in
                     script.get_revisions(_as_tuple(revision.dependencies)))
    return seen


def _as_list(value) -> list:
    """``command.revision`` returns a script, or a list of them (empty when none is written)."""
    return value if isinstance(value, list) else [value]


def _as_tuple(value) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _branch(revision: Script) -> str:
    labels = sorted(revision.branch_labels)
    return labels[0] if labels else revision.revision


def _branch_revisions(script: ScriptDirectory, branch: str) -> list[Script]:
    return [revision for revision in script.walk_revisions()
            if branch in revision.branch_labels]


def _core_base(script: ScriptDirectory) -> str:
    return next(revision.revision for revision in _branch_revisions(script, CORE_BRANCH)
                if revision.down_revision is None)


def _describe_revision(revision: Script) -> str:
    return f"{_branch(revision)} {revision.revision}: {revision.doc}"


# --- differences ---------------------------------------------------------------------------------


def _describe_difference(difference) -> str:
    """One line a developer can act on, for an item of ``compare_metadata``'s result."""
    if isinstance(difference, list):  # changes to one column come grouped
        return "; ".join(_describe_difference(change) for change in difference)
    kind, *args = difference
    missing = "in the models, no migration creates it"
    extra = "created by the migrations, not in the models"
    if kind in ("add_table", "remove_table"):
        table = args[0]
        return f"table {table.name}: {missing if kind == 'add_table' else extra}"
    if kind in ("add_column", "remove_column"):
        _schema, table, column = args
        return f"column {table}.{column.name}: {missing if kind == 'add_column' else extra}"
    if kind in ("add_index", "remove_index", "add_constraint", "remove_constraint",
                "add_fk", "remove_fk"):
        item = args[0]
        what = {"index": "index", "constraint": "constraint", "fk": "foreign key"}[
            kind.partition("_")[2]]
        return (f"{what} {item.name} on {item.table.name}: "
                f"{missing if kind.startswith('add') else extra}")
    if kind.startswith("modify_"):
        _schema, table, column, _existing, in_database, in_models = args
        return (f"column {table}.{column}: {kind.removeprefix('modify_')} is {in_database!r} "
                f"after the migrations, {in_models!r} in the models")
    return repr(difference)
