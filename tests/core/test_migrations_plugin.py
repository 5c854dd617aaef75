"""A plugin shipped as its own distribution with a table and its own migration history.

``regie_testplugin`` (tests/data) is installed once for the module into a folder put first on
``sys.path``: it is discovered, loaded when the configuration names it, its hooks are called,
its history (branch ``testplugin``) is migrated with the core's, and its page shows only the
rows of the establishment in the URL. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from data.distributions import Site
from sqlalchemy import inspect, select, text

from regie.cli.common import State
from regie.cli.main import cli
from regie.config import load_config
from regie.db import migrations
from regie.db.base import Model
from regie.engine import Engine, installed_plugins
from regie.runtime import Runtime
from regie.services import establishments, users
from regie.testing import WebClient
from regie.testing.plugin import PASSWORD

pytest_plugins = ["data.databases"]  # fixtures: backend, database_url

NOTES_REVISION = "dd2512c13b26"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """The engine with the test plugin loaded; its model stays in ``Model.metadata`` for the
    module only (a model class can be declared once per process)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        site = Site(tmp_path_factory.mktemp("site"), monkeypatch)
        site.install("testplugin", "regie_testplugin", entry_point="regie_testplugin.plugin")
        try:
            yield Engine(["testplugin"])
        finally:
            site.forget()
            Model.metadata.remove(Model.metadata.tables["testplugin_note"])


@pytest.fixture
def runtime(engine, database_url, tmp_path):
    config = load_config(tmp_path, environ={}, secret_key="test", database_url=database_url,
                         tasks_url=f"sqlite:///{tmp_path / 'tasks.db'}")
    runtime = Runtime(config, engine=engine)
    yield runtime
    runtime.close()


@pytest.fixture
def versions(runtime):
    """The plugin's versions folder; revision files a test adds there are removed after it."""
    folder = migrations.branches(runtime)["testplugin"]
    before = set(folder.glob("*.py"))
    yield folder
    for added in set(folder.glob("*.py")) - before:
        added.unlink()


def tables(runtime) -> set[str]:
    return set(inspect(runtime.db.engine).get_table_names())


def notes(runtime, establishment_id: int) -> list[str]:
    """The notes of an establishment, as committed (read in a session of their own)."""
    from regie_testplugin.models import Note

    with runtime.db.session() as session:
        return list(session.scalars(select(Note.text).where(
            Note.establishment_id == establishment_id).order_by(Note.id)))


def test_the_distribution_is_discovered_and_loaded_by_configuration(runtime):
    engine = runtime.engine
    installed = installed_plugins()["testplugin"]
    assert installed.dist.metadata["Name"] == "regie-testplugin"
    plugin = engine.plugins["testplugin"]
    assert (plugin.distribution, plugin.version) == ("regie-testplugin", "0.1")
    assert plugin.info.migrations == "regie_testplugin.migrations"
    assert "testplugin.reader" in {role.code for role in engine.items("regie_roles")}
    folder = migrations.branches(runtime)["testplugin"]
    assert folder.parent.name == "regie_testplugin" and folder.name == "migrations"


def test_upgrade_applies_the_plugin_history_after_the_core_it_depends_on(runtime):
    pending = migrations.pending(runtime)
    histories = [line.split()[0] for line in pending]
    assert histories.index("testplugin") > histories.index("regie")
    assert f"testplugin {NOTES_REVISION}: Create the notes table." in pending

    migrations.upgrade(runtime)

    assert "testplugin_note" in tables(runtime)
    assert migrations.current(runtime)["testplugin"] == NOTES_REVISION
    assert migrations.current(runtime) == migrations.heads(runtime)
    assert migrations.check(runtime) == []


def test_the_plugin_history_can_be_reverted_without_touching_the_core(runtime):
    migrations.upgrade(runtime)
    with runtime.db.transaction() as session:
        establishments.create(session, runtime.engine, slug="ecole", name="École")

    assert migrations.downgrade(runtime, "testplugin@base") == [
        f"testplugin {NOTES_REVISION}: Create the notes table."]

    assert "testplugin_note" not in tables(runtime)
    assert "testplugin" not in migrations.current(runtime)
    with runtime.db.session() as session:
        assert establishments.by_slug(session, "ecole").name == "École"
    assert migrations.pending(runtime) == [f"testplugin {NOTES_REVISION}: Create the notes table."]
    migrations.upgrade(runtime)
    assert "testplugin_note" in tables(runtime)


def test_a_new_plugin_revision_is_pending_until_upgraded(runtime, versions):
    migrations.upgrade(runtime)

    written = migrations.revision(runtime, "Nothing to do yet.", "testplugin")

    assert written.parent == versions
    new = written.name.partition("_")[0]
    assert f"down_revision: str | Sequence[str] | None = '{NOTES_REVISION}'" in (
        written.read_text())
    assert migrations.pending(runtime) == [f"testplugin {new}: Nothing to do yet."]
    with pytest.raises(migrations.PendingMigrations, match="regie db upgrade"):
        migrations.assert_up_to_date(runtime)
    migrations.upgrade(runtime)
    assert migrations.current(runtime)["testplugin"] == new
    migrations.assert_up_to_date(runtime)


def test_revision_autogenerate_writes_only_the_plugin_changes_in_its_folder(runtime, versions):
    migrations.upgrade(runtime)
    assert migrations.revision(runtime, "No change.", "testplugin", autogenerate=True) is None
    assert set(versions.glob("*.py")) == {versions / "__init__.py",
                                          versions / f"{NOTES_REVISION}_create_the_notes_table.py"}

    with runtime.db.engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_testplugin_note_establishment_id"))
        connection.execute(text("DROP INDEX ix_membership_user_id"))  # the core's: not its own
    result = CliRunner().invoke(cli, ["db", "revision", "--plugin", "testplugin", "-m",
                                      "Index notes by establishment", "--autogenerate"],
                                obj=State(runtime=runtime))

    assert result.exit_code == 0, result.output
    [written] = set(versions.glob("*_index_notes_by_establishment.py"))
    assert str(written) in result.output
    source = written.read_text()
    assert "ix_testplugin_note_establishment_id" in source
    assert "membership" not in source
    assert f"down_revision: str | Sequence[str] | None = '{NOTES_REVISION}'" in source


def test_a_history_that_forks_is_refused_with_what_to_do(runtime, versions):
    first = migrations.revision(runtime, "One change.", "testplugin")
    second = versions / "0000000000ff_another_change.py"
    second.write_text(first.read_text().replace(first.name.partition("_")[0], "0000000000ff"))

    with pytest.raises(migrations.MigrationError) as refused:
        migrations.upgrade(runtime)

    message = str(refused.value)
    assert message.startswith("history 'testplugin' has 2 last revisions (")
    assert first.name.partition("_")[0] in message and "0000000000ff" in message
    assert "Set the down_revision of the newer one to the other" in message


def test_a_failing_revision_leaves_the_database_as_it_was(runtime, versions):
    migrations.upgrade(runtime)
    broken = migrations.revision(runtime, "Broken.", "testplugin")
    broken.write_text(broken.read_text().replace(
        "def upgrade() -> None:\n    pass",
        "def upgrade() -> None:\n"
        "    op.create_table('testplugin_tag', sa.Column('id', sa.Integer, primary_key=True))\n"
        "    op.execute('INSERT INTO testplugin_missing VALUES (1)')"))

    with pytest.raises(migrations.MigrationError) as refused:
        migrations.upgrade(runtime)

    assert str(refused.value).startswith("a migration failed, nothing was changed: ")
    assert "testplugin_missing" in str(refused.value)

    assert "testplugin_tag" not in tables(runtime)
    assert migrations.current(runtime)["testplugin"] == NOTES_REVISION


def test_a_plugin_shipped_without_its_revisions_is_refused_at_start_up(runtime, versions):
    shipped = versions / f"{NOTES_REVISION}_create_the_notes_table.py"
    source = shipped.read_text()
    shipped.unlink()
    try:
        migrations.upgrade(runtime)
        with pytest.raises(migrations.MigrationError) as refused:
            migrations.assert_up_to_date(runtime)
        assert "plugin 'testplugin': no revision with branch label 'testplugin'" in str(
            refused.value)
        assert "regie db revision --plugin testplugin" in str(refused.value)
    finally:
        shipped.write_text(source)


def test_enabling_the_plugin_calls_regie_plugin_installed_in_the_same_transaction(runtime):
    migrations.upgrade(runtime)
    with runtime.db.transaction() as session:
        school = establishments.create(session, runtime.engine, slug="ecole", name="École")
    with runtime.db.transaction() as session:
        school = establishments.by_slug(session, "ecole")
        establishments.enable_plugin(session, runtime.engine, school, "testplugin")
        assert notes(runtime, school.id) == [], "not committed yet"
    assert notes(runtime, school.id) == ["Welcome to École"]

    with runtime.db.transaction() as session:
        school = establishments.by_slug(session, "ecole")
        establishments.disable_plugin(session, runtime.engine, school, "testplugin")
    assert notes(runtime, school.id) == ["Welcome to École"], "disabling keeps the data"


def test_the_plugin_page_shows_only_the_rows_of_its_establishment(runtime):
    from regie.web import create_app

    migrations.upgrade(runtime)
    engine = runtime.engine
    with runtime.db.transaction() as session:
        for slug, name in (("ecole", "École Jaurès"), ("mairie", "Mairie de Villeneuve")):
            place = establishments.create(session, engine, slug=slug, name=name)
            establishments.enable_plugin(session, engine, place, "testplugin")
        reader = users.create(session, "zoe", PASSWORD)
        users.grant(session, engine, reader, establishments.by_slug(session, "ecole"),
                    "testplugin.reader")
    app = create_app(runtime=runtime, check_migrations=True)
    app.config.update(TESTING=True)
    app.test_client_class = WebClient
    web = app.test_client()
    assert web.sign_in("zoe", PASSWORD).status_code == 302

    page = web.get("/ecole/testplugin/")
    assert page.status_code == 200
    assert "Welcome to École Jaurès" in page.get_data(as_text=True)
    assert "Mairie" not in page.get_data(as_text=True)
    assert "Mairie" not in web.get("/ecole/").get_data(as_text=True)
    assert web.get("/mairie/testplugin/").status_code == 404
