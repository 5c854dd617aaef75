"""The core's migration history on SQLite and PostgreSQL: upgrade from nothing, pending
revisions, downgrade and upgrade again, differences between models and migrations, and the
``regie db`` commands."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, text

from regie.cli.common import State
from regie.cli.main import cli
from regie.config import load_config
from regie.db import migrations
from regie.db.base import Model
from regie.db.models import Establishment
from regie.runtime import Runtime
from regie.services import establishments

pytest_plugins = ["data.databases"]  # fixtures: backend, database_url

CORE_TABLES = {"establishment", "establishment_plugin", "user_account", "membership",
               "audit_event", "job", "task_run"}


@pytest.fixture
def runtime(database_url, tmp_path, regie_engine):
    config = load_config(tmp_path, environ={}, secret_key="test", database_url=database_url,
                         tasks_url=f"sqlite:///{tmp_path / 'tasks.db'}")
    runtime = Runtime(config, engine=regie_engine)
    yield runtime
    runtime.close()


def tables(runtime) -> set[str]:
    return set(inspect(runtime.db.engine).get_table_names())


def regie(runtime, *args: str):
    return CliRunner().invoke(cli, ["db", *args], obj=State(runtime=runtime))


def test_upgrade_from_an_empty_database_creates_the_tables_of_the_models(runtime):
    assert migrations.current(runtime) == {}
    pending = migrations.pending(runtime)
    core_head = migrations.heads(runtime)["regie"]
    assert pending[-1].startswith(f"regie {core_head}: ")

    assert migrations.upgrade(runtime) == pending

    assert tables(runtime) == set(Model.metadata.tables) | {"alembic_version"}
    assert tables(runtime) >= CORE_TABLES
    assert migrations.current(runtime) == migrations.heads(runtime)
    assert migrations.pending(runtime) == []
    assert migrations.check(runtime) == []
    assert migrations.upgrade(runtime) == [], "a second upgrade has nothing to do"


def test_the_migrated_schema_keeps_the_naming_convention(runtime):
    migrations.upgrade(runtime)
    inspector = inspect(runtime.db.engine)
    if not runtime.db.is_sqlite:  # SQLite does not keep the names of primary keys
        assert inspector.get_pk_constraint("establishment")["name"] == "pk_establishment"
    assert {fk["name"] for fk in inspector.get_foreign_keys("membership")} == {
        "fk_membership_establishment_id_establishment", "fk_membership_user_id_user_account"}
    assert "ix_membership_user_id" in {index["name"]
                                       for index in inspector.get_indexes("membership")}


def test_pending_revisions_are_detected_and_refused_at_start_up(runtime):
    migrations.upgrade(runtime)
    migrations.downgrade(runtime, "regie@-1")
    pending = migrations.pending(runtime)
    assert len(pending) == 1

    with pytest.raises(migrations.PendingMigrations) as refused:
        migrations.assert_up_to_date(runtime)
    assert refused.value.pending == pending
    assert "run `regie db upgrade`" in str(refused.value)
    assert pending[0] in str(refused.value)

    from regie.web import create_app

    with pytest.raises(migrations.PendingMigrations):
        create_app(runtime=runtime, check_migrations=True)
    with pytest.raises(migrations.PendingMigrations):
        migrations.check(runtime)

    migrations.upgrade(runtime)
    migrations.assert_up_to_date(runtime)
    assert create_app(runtime=runtime, check_migrations=True) is not None


def test_downgrade_to_base_drops_everything_and_upgrade_brings_it_back(runtime):
    migrations.upgrade(runtime)
    with runtime.db.transaction() as session:
        establishments.create(session, runtime.engine, slug="ecole", name="École")

    reverted = migrations.downgrade(runtime, "base")

    assert reverted == list(reversed(migrations.pending(runtime)))
    assert tables(runtime) == {"alembic_version"}
    assert migrations.current(runtime) == {}
    migrations.upgrade(runtime)
    assert migrations.check(runtime) == []
    with runtime.db.transaction() as session:
        establishments.create(session, runtime.engine, slug="ecole", name="École")
    with runtime.db.session() as session:
        assert session.query(Establishment).count() == 1


def test_check_lists_every_difference_between_models_and_database(runtime):
    migrations.upgrade(runtime)
    with runtime.db.engine.begin() as connection:
        connection.execute(text("DROP TABLE task_run"))
        connection.execute(text("ALTER TABLE job ADD COLUMN priority INTEGER"))
        connection.execute(text("DROP INDEX ix_membership_user_id"))

    differences = migrations.check(runtime)

    assert sorted(differences) == [
        "column job.priority: created by the migrations, not in the models",
        "index ix_membership_user_id on membership: in the models, no migration creates it",
        "table task_run: in the models, no migration creates it",
    ]
    result = regie(runtime, "check")
    assert result.exit_code == 1
    assert "3 differences between the models and the migrations" in result.output
    assert "table task_run: in the models, no migration creates it" in result.output


def test_a_revision_of_a_plugin_that_is_not_loaded_is_reported(runtime):
    migrations.upgrade(runtime)
    with runtime.db.engine.begin() as connection:
        connection.execute(text("INSERT INTO alembic_version VALUES ('0123456789ab')"))

    with pytest.raises(migrations.MigrationError) as refused:
        migrations.current(runtime)
    assert "0123456789ab" in str(refused.value)
    assert "missing from 'plugins'" in str(refused.value)
    with pytest.raises(migrations.MigrationError):
        migrations.upgrade(runtime)


def test_db_commands(runtime):
    head = migrations.heads(runtime)["regie"]

    before = regie(runtime, "current")
    assert before.exit_code == 0
    assert "regie" in before.output and "not applied" in before.output
    pending_check = regie(runtime, "check")
    assert pending_check.exit_code == 1
    assert "run `regie db upgrade`" in pending_check.output

    upgrade = regie(runtime, "upgrade")
    assert upgrade.exit_code == 0, upgrade.output
    assert f"regie {head}: " in upgrade.output
    assert "up to date" in regie(runtime, "upgrade").output

    current = regie(runtime, "current", "--format", "json")
    assert current.exit_code == 0
    assert '"status": "up to date"' in current.output
    assert f'"revision": "{head}"' in current.output
    check = regie(runtime, "check")
    assert (check.exit_code, check.output.strip()) == (
        0, "The models and the migrations agree.")
    heads = regie(runtime, "heads")
    assert head in heads.output and "migrations/versions" in heads.output

    kept = CliRunner().invoke(cli, ["db", "downgrade", "regie@base"], input="n\n",
                              obj=State(runtime=runtime))
    assert kept.exit_code == 1
    assert "can drop tables and the data in them" in kept.output
    assert migrations.current(runtime)["regie"] == head
    downgrade = regie(runtime, "downgrade", "regie@base", "--yes")
    assert downgrade.exit_code == 0
    assert f"regie {head}: " in downgrade.output
    assert tables(runtime) == {"alembic_version"}
    bad_target = regie(runtime, "downgrade", "nowhere@base", "--yes")
    assert bad_target.exit_code == 1
    assert "nowhere" in bad_target.output


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://postgres@127.0.0.1:9/regie",
    "sqlite:////nonexistent-folder/regie.db",
])
def test_an_unreachable_database_gets_a_clear_message(url, tmp_path, regie_engine):
    config = load_config(tmp_path, environ={}, secret_key="test", database_url=url)
    runtime = Runtime(config, engine=regie_engine)
    for command in ("upgrade", "current", "check"):
        result = regie(runtime, command)
        assert result.exit_code == 1
        assert "cannot connect to the database" in result.output
        assert "Traceback" not in result.output
