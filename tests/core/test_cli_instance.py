"""``regie init``, ``regie demo``, ``regie doctor``, ``regie plugins list`` and what the command
line says about a broken configuration."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import tomllib

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from regie.cli.main import cli
from regie.config import load_config
from regie.db.models import Establishment, User
from regie.runtime import Runtime
from regie.services import users

PLUGINS = "markets,billpay,coop"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in list(os.environ):
        if name.startswith("REGIE_"):
            monkeypatch.delenv(name)


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "instance"


def regie(*args, input=None):
    return CliRunner().invoke(cli, [str(arg) for arg in args], input=input)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def generated_password(output: str) -> str:
    match = re.search(r"Password of 'admin': (\S+)", output)
    assert match, output
    return match.group(1)


def sign_in_works(folder, username, password) -> bool:
    runtime = Runtime(load_config(folder))
    try:
        with runtime.db.transaction() as session:
            return users.authenticate(session, username, password, max_failures=5,
                                      lockout=dt.timedelta(minutes=1)) is not None
    finally:
        runtime.close()


# --- init --------------------------------------------------------------------------------------


def test_init_writes_config_and_prints_a_random_admin_password_once(folder):
    result = regie("--instance", folder, "init", "--plugins", PLUGINS)

    assert result.exit_code == 0, result.output
    config = tomllib.loads((folder / "regie.toml").read_text(encoding="utf-8"))
    assert len(config["secret_key"]) >= 40
    assert config["plugins"] == ["markets", "billpay", "coop"]
    assert (folder / "regie.toml").stat().st_mode & 0o077 == 0  # it holds the secret key
    assert (folder / "regie.db").exists() and (folder / "tasks.db").exists()
    password = generated_password(result.stdout)
    assert result.stdout.count(password) == 1
    assert sign_in_works(folder, "admin", password)

    other = folder.parent / "other"
    second = regie("--instance", other, "init", "--plugins", PLUGINS)
    assert generated_password(second.stdout) != password
    assert tomllib.loads((other / "regie.toml").read_text())["secret_key"] != config["secret_key"]


def test_init_refuses_to_overwrite_without_force(folder):
    assert regie("--instance", folder, "init", "--plugins", PLUGINS).exit_code == 0
    before = (folder / "regie.toml").read_text()

    again = regie("--instance", folder, "init", "--plugins", PLUGINS)

    assert again.exit_code == 1
    assert "already exists; use --force" in again.stderr
    assert "Password" not in again.stdout
    assert (folder / "regie.toml").read_text() == before


def test_init_force_replaces_config_keeps_a_backup_and_the_admin(folder):
    first = regie("--instance", folder, "init", "--plugins", PLUGINS)
    password = generated_password(first.stdout)
    before = (folder / "regie.toml").read_text()

    # every plugin with tables stays (dropping one is refused, see test_migrations); one is
    # added
    forced = regie("--instance", folder, "init", "--plugins", "coop,markets,billpay,mail_smtp",
                   "--force")

    assert forced.exit_code == 0, forced.output
    assert (folder / "regie.toml.bak").read_text() == before
    assert tomllib.loads((folder / "regie.toml").read_text())["plugins"] == [
        "coop", "markets", "billpay", "mail_smtp"]
    assert "Password" not in forced.stdout  # the existing admin keeps its password
    assert sign_in_works(folder, "admin", password)


def test_init_with_password_file_and_options_for_scripts(folder, tmp_path):
    secret = tmp_path / "admin-password"
    secret.write_text("a long chosen passphrase\n", encoding="utf-8")

    result = regie("init", "--instance", folder, "--admin-username", "root",
                   "--admin-password-file", secret, "--plugins", "markets",
                   "--bind", "127.0.0.1:8765", "--tasks-url", "redis://127.0.0.1:6379/3")

    assert result.exit_code == 0, result.output
    assert "a long chosen passphrase" not in result.output
    config = load_config(folder, environ={})
    assert config["server.bind"] == "127.0.0.1:8765"
    assert config.tasks_url == "redis://127.0.0.1:6379/3"
    assert sign_in_works(folder, "root", "a long chosen passphrase")


def test_init_reads_the_password_from_standard_input(folder):
    result = regie("--instance", folder, "init", "--plugins", "markets",
                   "--admin-password-file", "-", input="piped passphrase 42\n")
    assert result.exit_code == 0, result.output
    assert sign_in_works(folder, "admin", "piped passphrase 42")


@pytest.mark.parametrize(("args", "message"), [
    (["--plugins", "markets,no_such_plugin"], "no_such_plugin: not installed"),
    (["--bind", "localhost"], "'localhost' is not HOST:PORT"),
    (["--database-url", 'sqlite:///a"b.db'], "cannot be written into regie.toml"),
])
def test_init_refuses_bad_input_and_writes_nothing(folder, args, message):
    result = regie("--instance", folder, "init", *args)
    assert result.exit_code != 0
    assert message in result.stderr
    assert not (folder / "regie.toml").exists()


def test_init_refuses_a_weak_password(folder, tmp_path):
    weak = tmp_path / "weak"
    weak.write_text("123456\n")
    result = regie("--instance", folder, "init", "--plugins", "markets",
                   "--admin-password-file", weak)
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: admin password: use at least 10 characters"
    assert not (folder / "regie.toml").exists()


def test_init_with_an_unreachable_database(folder):
    url = f"postgresql+psycopg://regie@127.0.0.1:{closed_port()}/regie"
    result = regie("--instance", folder, "init", "--plugins", "markets", "--database-url", url)
    assert result.exit_code == 1
    assert "cannot connect to the database" in result.stderr
    assert "Traceback" not in result.output
    assert not (folder / "regie.toml").exists()


# --- a broken configuration ----------------------------------------------------------------------


def test_commands_with_an_unreachable_database_say_so(folder, monkeypatch):
    assert regie("--instance", folder, "init", "--plugins", "markets").exit_code == 0
    monkeypatch.setenv("REGIE_DATABASE_URL",
                       f"postgresql+psycopg://regie@127.0.0.1:{closed_port()}/regie")
    for args in (["establishment", "list"], ["serve"], ["user", "list"], ["tasks", "list"]):
        result = regie("--instance", folder, *args)
        assert result.exit_code == 1, args
        assert "Traceback" not in result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
        assert "127.0.0.1" in lines[0]


@pytest.mark.parametrize(("toml", "key"), [
    ("[server]\nworkers = \"many\"\n", "server.workers"),
    ("databse_url = \"sqlite:///x.db\"\n", "databse_url"),
    ("plugins = \"markets\n", "not valid TOML"),
])
def test_bad_regie_toml_names_the_key(folder, toml, key):
    folder.mkdir()
    (folder / "regie.toml").write_text(toml, encoding="utf-8")
    for args in (["establishment", "list"], ["serve"], ["plugins", "list"]):
        result = regie("--instance", folder, *args)
        assert result.exit_code == 1, args
        assert key in result.stderr and "regie.toml" in result.stderr
        assert "Traceback" not in result.output
    doctor = regie("--instance", folder, "doctor")
    assert doctor.exit_code == 1 and key in doctor.stdout


def test_broken_plugin_does_not_break_help_and_is_listed_as_failed(folder):
    assert regie("--instance", folder, "init", "--plugins", "markets").exit_code == 0
    path = folder / "regie.toml"
    path.write_text(path.read_text().replace('plugins = ["markets"]',
                                             'plugins = ["markets", "ghost"]'))

    helped = regie("--instance", folder, "--help")
    assert helped.exit_code == 0, helped.output
    for command in ("init", "demo", "serve", "worker", "doctor", "plugins", "establishment",
                    "user", "tasks"):
        assert re.search(rf"^  {command}\s", helped.stdout, re.M), command
    assert "ghost: not installed" in helped.stdout

    listed = regie("--instance", folder, "plugins", "list", "--format", "json")
    assert listed.exit_code == 0, listed.output
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["ghost"]["status"] == "failed"
    assert "not installed" in rows["ghost"]["reason"]
    assert rows["markets"]["status"] == "loaded"
    assert rows["markets"]["distribution"] == "regie-markets"
    assert rows["coop"]["status"] == "not loaded"

    served = regie("--instance", folder, "serve")
    assert served.exit_code == 1
    assert "ghost: not installed" in served.stderr

    unknown = regie("--instance", folder, "ghost")
    assert unknown.exit_code == 1
    assert "plugin commands are unavailable" in unknown.stderr


# --- plugins list, doctor ------------------------------------------------------------------------


def test_plugins_list_counts_establishments_where_each_is_enabled(folder):
    assert regie("--instance", folder, "init", "--plugins", PLUGINS).exit_code == 0
    for slug in ("one", "two"):
        assert regie("--instance", folder, "establishment", "create", slug,
                     "--name", slug).exit_code == 0
        assert regie("--instance", folder, "establishment", "enable", slug,
                     "markets").exit_code == 0
    regie("--instance", folder, "establishment", "enable", "one", "coop")

    listed = regie("--instance", folder, "plugins", "list", "--format", "json")
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert (rows["markets"]["establishments"], rows["coop"]["establishments"],
            rows["billpay"]["establishments"]) == (2, 1, 0)
    table = regie("--instance", folder, "plugins", "list")
    assert re.search(r"^markets\s+regie-markets\s+\S+\s+loaded\s+2\s*$", table.stdout, re.M)


def test_doctor_reports_every_part_of_a_healthy_instance(folder):
    assert regie("--instance", folder, "init", "--plugins", PLUGINS).exit_code == 0
    result = regie("--instance", folder, "doctor", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    checks = {check["name"]: check for check in report["checks"]}
    assert report["ok"] and set(checks) == {"config", "database", "migrations", "plugins",
                                            "task queue"}
    assert checks["config"]["details"]["secret_key"] == "********"
    assert "sqlite" in checks["database"]["summary"]
    assert checks["migrations"]["summary"] == "up to date"
    assert "3 loaded" in checks["plugins"]["summary"]
    assert checks["plugins"]["details"]["markets"].startswith("loaded (regie-markets ")
    assert checks["plugins"]["details"]["reservation"] == "installed, not loaded"
    current, head = re.fullmatch(r"(\S+) \(head (\S+)\)",
                                 checks["migrations"]["details"]["regie"]).groups()
    assert current == head
    assert "tasks.db" in checks["task queue"]["summary"]
    secret = tomllib.loads((folder / "regie.toml").read_text())["secret_key"]
    assert secret not in regie("--instance", folder, "doctor").stdout


def test_doctor_finds_what_is_wrong_and_exits_1(folder, monkeypatch):
    assert regie("--instance", folder, "init", "--plugins", "markets").exit_code == 0
    path = folder / "regie.toml"
    path.write_text(path.read_text().replace('plugins = ["markets"]',
                                             'plugins = ["markets", "ghost"]'))
    monkeypatch.setenv("REGIE_TASKS_URL", f"redis://127.0.0.1:{closed_port()}/0")

    result = regie("--instance", folder, "doctor")

    assert result.exit_code == 1
    assert re.search(r"\[FAIL\] plugins: 1 problem", result.stdout)
    assert "ghost = not installed" in result.stdout
    assert re.search(r"\[FAIL\] task queue: Redis .* unreachable", result.stdout)
    assert re.search(r"\[ ok \] database", result.stdout)


def test_doctor_reports_pending_migrations(folder, tmp_path):
    folder.mkdir()
    (folder / "regie.toml").write_text('secret_key = "s"\nplugins = ["markets"]\n')
    result = regie("--instance", folder, "doctor")
    assert result.exit_code == 1
    assert re.search(r"\[FAIL\] migrations: \d+ pending: run `regie db upgrade`", result.stdout)


# --- demo ----------------------------------------------------------------------------------------


def test_demo_creates_an_instance_with_demo_establishments_idempotently(folder):
    assert regie("--instance", folder, "init", "--plugins", PLUGINS).exit_code == 0

    first = regie("--instance", folder, "demo", "--no-serve", "--bind", "127.0.0.1:8123")

    assert first.exit_code == 0, first.output
    assert "http://127.0.0.1:8123/" in first.stdout
    runtime = Runtime(load_config(folder))
    try:
        with runtime.db.session() as session:
            found = {est.slug: est for est in session.scalars(select(Establishment))}
            assert set(found) == {"ecole-demo", "marches-demo", "regie-eaux", "amap-demo",
                                  "boutique-demo"}
            eaux = found["regie-eaux"]
            assert (eaux.locale, eaux.currency, eaux.timezone) == ("uk", "UAH", "Europe/Kyiv")
            enabled = {slug: sorted(row.plugin for row in est.plugins if row.enabled)
                       for slug, est in found.items()}
            # only the plugins the configuration loads
            assert enabled == {"ecole-demo": [], "marches-demo": ["markets"],
                               "regie-eaux": ["billpay"], "amap-demo": ["coop"],
                               "boutique-demo": []}
            ids = {slug: est.id for slug, est in found.items()}

        second = regie("--instance", folder, "demo", "--no-serve")
        assert second.exit_code == 0, second.output
        assert "kept as they were" in second.stdout
        assert "Password of" not in second.stdout
        assert "user passwd admin" in second.stdout
        with runtime.db.session() as session:
            assert {est.slug: est.id for est in session.scalars(select(Establishment))} == ids
            assert session.scalars(select(User.username)).all() == ["admin"]
    finally:
        runtime.close()


def test_demo_from_nothing_prints_the_url_and_a_one_time_password(folder):
    result = regie("--instance", folder, "demo", "--no-serve")

    assert result.exit_code == 0, result.output
    assert (folder / "regie.toml").exists() and (folder / "tasks.db").exists()
    password = generated_password(result.stdout)
    assert "http://127.0.0.1:8000/" in result.stdout
    assert sign_in_works(folder, "admin", password)
    listed = regie("establishment", "list", "--instance", folder, "--format", "json")
    plugins = {row["slug"]: row["plugins"] for row in json.loads(listed.stdout)}
    assert plugins["marches-demo"] == ["markets"]
    assert plugins["regie-eaux"] == ["billpay"]
    assert plugins["amap-demo"] == ["coop"]
    assert {"reservation", "mail_smtp"} <= set(plugins["ecole-demo"])
    assert plugins["boutique-demo"] == ["mail_smtp", "mail_mapi_stub"]
