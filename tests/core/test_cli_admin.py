"""``regie establishment …`` and ``regie user …`` against the test database."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from click.testing import CliRunner

from regie.cli.common import State
from regie.cli.main import cli
from regie.db.models import AuditEvent, Establishment
from regie.services import establishments, users
from regie.testing.plugin import PASSWORD


@pytest.fixture
def regie(regie_runtime):
    def invoke(*args, input=None):
        return CliRunner().invoke(cli, [str(arg) for arg in args], input=input,
                                  obj=State(runtime=regie_runtime))

    return invoke


def one_error_line(result) -> str:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def establishment(runtime, slug) -> Establishment:
    with runtime.db.session() as session:
        return establishments.by_slug(session, slug)


def can_sign_in(runtime, username, password) -> bool:
    with runtime.db.transaction() as session:
        return users.authenticate(session, username, password, max_failures=5,
                                  lockout=dt.timedelta(minutes=1)) is not None


# --- establishments ----------------------------------------------------------------------------


def test_create_list_and_show_establishments(regie, regie_runtime):
    created = regie("establishment", "create", "ecole-jaures", "--name", "École Jaurès")
    assert created.exit_code == 0, created.output
    assert regie("establishment", "create", "eaux", "--name", "Водоканал", "--locale", "uk",
                 "--timezone", "Europe/Kyiv", "--currency", "uah").exit_code == 0

    listed = regie("establishment", "list", "--format", "json")
    assert listed.exit_code == 0, listed.output
    assert [(row["slug"], row["currency"], row["locale"]) for row in json.loads(listed.stdout)] == [
        ("eaux", "UAH", "uk"), ("ecole-jaures", "EUR", "fr")]
    table = regie("establishment", "list")
    assert re.search(r"^ecole-jaures\s+École Jaurès\s+fr\s+Europe/Paris\s+EUR", table.stdout,
                     re.M)

    shown = regie("establishment", "show", "eaux", "--format", "json")
    assert json.loads(shown.stdout)["timezone"] == "Europe/Kyiv"


@pytest.mark.parametrize(("slug", "message"), [
    ("admin", "'admin' is reserved"),
    ("healthz", "'healthz' is reserved"),
    ("École", "lowercase letters"),
    ("bad_slug", "lowercase letters"),
])
def test_reserved_or_malformed_slug_is_refused(regie, regie_runtime, slug, message):
    result = regie("establishment", "create", slug, "--name", "X")
    assert message in one_error_line(result)
    with regie_runtime.db.session() as session:
        assert session.query(Establishment).count() == 0


def test_bad_fields_are_refused_with_the_field_named(regie):
    result = regie("establishment", "create", "ok-slug", "--name", "X", "--timezone", "Mars/Base")
    assert "timezone: unknown time zone" in one_error_line(result)
    regie("establishment", "create", "ok-slug", "--name", "X")
    assert "slug: cannot be changed" in one_error_line(
        regie("establishment", "set", "ok-slug", "slug=other"))
    assert "is not KEY=VALUE" in regie("establishment", "set", "ok-slug", "name").stderr
    assert "no establishment 'nowhere'" in one_error_line(
        regie("establishment", "show", "nowhere"))


def test_set_changes_establishment_fields(regie, regie_runtime, make_establishment):
    make_establishment(slug="mairie", name="Mairie")
    result = regie("establishment", "set", "mairie", "name=Mairie de Villeneuve",
                   "currency=chf", "email=regie@villeneuve.fr")
    assert result.exit_code == 0, result.output
    est = establishment(regie_runtime, "mairie")
    assert (est.name, est.currency, est.email) == ("Mairie de Villeneuve", "CHF",
                                                   "regie@villeneuve.fr")
    with regie_runtime.db.session() as session:
        assert session.query(AuditEvent).filter_by(action="establishment.update").count() == 1


def test_enable_with_settings_then_change_them_then_disable(regie, regie_runtime,
                                                            make_establishment, tmp_path):
    make_establishment(slug="boutique")
    enabled = regie("establishment", "enable", "boutique", "mail_smtp", "--setting",
                    "host=smtp.example.org", "--setting", "port=2525")
    assert enabled.exit_code == 0, enabled.output
    settings = establishments.enabled_plugins(establishment(regie_runtime, "boutique"))
    assert settings["mail_smtp"]["host"] == "smtp.example.org"
    assert settings["mail_smtp"]["port"] == 2525

    changed = regie("establishment", "enable", "boutique", "mail_smtp", "--setting", "port=587")
    assert "updated" in changed.stdout
    settings = establishments.enabled_plugins(establishment(regie_runtime, "boutique"))
    assert (settings["mail_smtp"]["host"], settings["mail_smtp"]["port"]) == (
        "smtp.example.org", 587)

    disabled = regie("establishment", "disable", "boutique", "mail_smtp")
    assert disabled.exit_code == 0, disabled.output
    assert "mail_smtp" not in establishments.enabled_plugins(
        establishment(regie_runtime, "boutique"))
    assert "is not enabled" in one_error_line(
        regie("establishment", "disable", "boutique", "mail_smtp"))


def test_secret_settings_are_read_from_a_file_and_never_printed(regie, regie_runtime,
                                                                make_establishment, tmp_path):
    make_establishment(slug="ecole")
    secret_file = tmp_path / "secret"
    secret_file.write_text("s3cr3t-value-123\n")

    result = regie("establishment", "enable", "ecole", "mail_smtp", "--setting",
                   "username=cantine", "--setting-file", f"password={secret_file}")

    assert result.exit_code == 0, result.output
    stored = establishments.enabled_plugins(establishment(regie_runtime, "ecole"))["mail_smtp"]
    assert stored["password"] == "s3cr3t-value-123"
    for output_format in ("table", "json"):
        shown = regie("establishment", "show", "ecole", "--format", output_format)
        assert shown.exit_code == 0, shown.output
        assert "s3cr3t-value-123" not in shown.output
        assert "cantine" in shown.output and "********" in shown.output
    missing = regie("establishment", "enable", "ecole", "mail_smtp", "--setting-file",
                    f"password={tmp_path / 'nowhere'}")
    assert missing.exit_code != 0 and "No such file" in missing.stderr


def test_enable_refuses_unknown_plugin_and_bad_settings(regie, regie_runtime, make_establishment):
    make_establishment(slug="ecole")
    assert "plugin 'nope' is not loaded" in one_error_line(
        regie("establishment", "enable", "ecole", "nope"))
    assert "colour: unknown setting" in one_error_line(
        regie("establishment", "enable", "ecole", "mail_smtp", "--setting", "colour=blue"))
    assert establishments.enabled_plugins(establishment(regie_runtime, "ecole")) == {}


# --- users ---------------------------------------------------------------------------------------


def test_user_create_with_random_password_printed_once(regie, regie_runtime):
    result = regie("user", "create", "alice", "--email", "alice@example.org")
    assert result.exit_code == 0, result.output
    password = re.search(r"Password of 'alice': (\S+)", result.stdout).group(1)
    assert result.stdout.count(password) == 1
    assert can_sign_in(regie_runtime, "alice", password)


def test_user_create_and_passwd_from_file_or_stdin(regie, regie_runtime, tmp_path):
    chosen = tmp_path / "pw"
    chosen.write_text("a chosen passphrase\n")
    created = regie("user", "create", "bob", "--password-file", chosen, "--superuser")
    assert created.exit_code == 0, created.output
    assert "Password" not in created.stdout
    assert can_sign_in(regie_runtime, "bob", "a chosen passphrase")

    changed = regie("user", "passwd", "bob", "--password-file", "-", input="another one 123\n")
    assert changed.exit_code == 0, changed.output
    assert can_sign_in(regie_runtime, "bob", "another one 123")
    assert not can_sign_in(regie_runtime, "bob", "a chosen passphrase")


def test_weak_password_and_duplicate_username_are_refused(regie, regie_runtime, tmp_path,
                                                          make_user):
    weak = tmp_path / "weak"
    weak.write_text("short\n")
    assert one_error_line(regie("user", "create", "carol", "--password-file", weak)) == (
        "Error: password: use at least 10 characters")
    make_user("dave")
    assert "this username is taken" in one_error_line(regie("user", "create", "Dave"))
    assert "use at least 10 characters" in one_error_line(
        regie("user", "passwd", "dave", "--password-file", weak))
    assert can_sign_in(regie_runtime, "dave", PASSWORD)
    assert "no user 'erin'" in one_error_line(regie("user", "passwd", "erin"))


def test_grant_revoke_and_list_roles(regie, regie_runtime, make_establishment, make_user):
    make_establishment(slug="marches", plugins=["markets"])
    make_user("frank")

    granted = regie("user", "grant", "frank", "marches", "markets.regie")
    assert granted.exit_code == 0, granted.output
    assert "already" in regie("user", "grant", "frank", "marches", "markets.regie").stdout
    regie("user", "grant", "frank", "marches", "manager")
    listed = json.loads(regie("user", "list", "--format", "json").stdout)
    assert listed == [{
        "username": "frank", "email": "", "full_name": "", "superuser": False, "active": True,
        "locked_until": None, "roles": ["marches:manager", "marches:markets.regie"]}]

    revoked = regie("user", "revoke", "frank", "marches", "manager")
    assert revoked.exit_code == 0, revoked.output
    assert "was not" in regie("user", "revoke", "frank", "marches", "manager").stdout
    assert json.loads(regie("user", "list", "--format", "json").stdout)[0]["roles"] == [
        "marches:markets.regie"]


def test_unknown_role_is_refused_with_the_known_ones(regie, make_establishment, make_user):
    make_establishment(slug="marches")
    make_user("gina")
    line = one_error_line(regie("user", "grant", "gina", "marches", "boss"))
    assert "unknown role 'boss'" in line and "manager" in line
    roles = json.loads(regie("user", "roles", "--format", "json").stdout)
    assert {"manager", "auditor", "markets.regie"} <= {row["role"] for row in roles}
