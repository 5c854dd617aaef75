"""The pytest plugin ``regie``: fixtures for testing Régie and Régie plugins.

Tests run on SQLite by default; ``REGIE_TEST_DATABASE=postgres`` runs them on PostgreSQL
(``REGIE_TEST_POSTGRES_URL``, default the local server).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from regie.config import load_config
from regie.db.models import Establishment, User
from regie.engine import Engine
from regie.runtime import CORE_COMMANDS, Runtime
from regie.services import establishments, users
from regie.testing.database import TestDatabase
from regie.testing.services import require_service
from regie.testing.web import WebClient

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


@pytest.fixture(scope="session")
def regie_default_engine() -> Engine:
    """The plugin engine with every plugin of the default configuration loaded (their models
    with it, so the test database has every table)."""
    return Engine(load_config(environ={}).plugins, reserved_cli=CORE_COMMANDS)


@pytest.fixture(scope="session")
def regie_engine(regie_default_engine) -> Engine:
    """The engine tests run with. Override it in a module or conftest (any scope) to load
    other plugins or builtins, e.g. ``regie.testing.payments.engine_with_fake_method()``."""
    return regie_default_engine


@pytest.fixture(scope="session")
def regie_test_database(regie_default_engine) -> Iterator[TestDatabase]:
    server = None
    if os.environ.get("REGIE_TEST_DATABASE", "sqlite") == "postgres":
        server = require_service("postgres")
    database = TestDatabase(server)
    yield database
    database.drop()


@pytest.fixture
def regie_config(tmp_path, regie_test_database, regie_engine):
    """Configuration of a throw-away instance in ``tmp_path`` with its schema created (for the
    models of ``regie_engine``'s plugins too: loading them registers their tables)."""
    return load_config(
        tmp_path, environ={},
        secret_key="test-secret-key",
        database_url=regie_test_database.url_for_test(tmp_path),
        tasks_url=f"sqlite:///{tmp_path / 'tasks.db'}",
    )


@pytest.fixture
def regie_runtime(regie_config, regie_engine) -> Iterator[Runtime]:
    runtime = Runtime(regie_config, engine=regie_engine)
    yield runtime
    runtime.close()


@pytest.fixture
def app(regie_runtime):
    from regie.web import create_app

    application = create_app(runtime=regie_runtime)
    application.config.update(TESTING=True)
    application.test_client_class = WebClient
    return application


@pytest.fixture
def client(app) -> WebClient:
    return app.test_client()


@pytest.fixture
def session(regie_runtime):
    """A database session for arranging and checking; commit what the app must see."""
    with regie_runtime.db.session() as db_session:
        yield db_session


@pytest.fixture
def make_establishment(regie_runtime) -> Callable[..., Establishment]:
    """``make_establishment(slug=None, plugins=(), **fields)``: a committed establishment with
    ``plugins`` enabled (names, or a dict name → settings)."""

    def make(slug: str | None = None, plugins: Iterable[str] | dict[str, dict] = (),
             **fields: Any) -> Establishment:
        number = next(_counter)
        with regie_runtime.db.transaction() as db_session:
            establishment = establishments.create(
                db_session, regie_runtime.engine, slug=slug or f"etab-{number}",
                name=fields.pop("name", f"Establishment {number}"), **fields)
            chosen = plugins if isinstance(plugins, dict) else {name: {} for name in plugins}
            for name, settings in chosen.items():
                establishments.enable_plugin(db_session, regie_runtime.engine, establishment,
                                             name, settings)
        return establishment

    return make


@pytest.fixture
def make_user(regie_runtime) -> Callable[..., User]:
    """``make_user(username=None, roles={establishment: [role, …]}, superuser=False)``; the
    password is :data:`PASSWORD` unless given."""

    def make(username: str | None = None, *, password: str = PASSWORD,
             roles: dict[Establishment, Iterable[str]] | None = None, superuser: bool = False,
             **fields: Any) -> User:
        with regie_runtime.db.transaction() as db_session:
            user = users.create(db_session, username or f"user{next(_counter)}", password,
                                is_superuser=superuser, **fields)
            for establishment, codes in (roles or {}).items():
                target = db_session.get(Establishment, establishment.id)
                for code in codes:
                    users.grant(db_session, regie_runtime.engine, user, target, code)
        return user

    return make


@pytest.fixture
def enable_plugin(regie_runtime) -> Callable[..., None]:
    """``enable_plugin(establishment, name, **settings)``: switch a plugin on, committed."""

    def enable(establishment: Establishment, name: str, **settings: Any) -> None:
        with regie_runtime.db.transaction() as db_session:
            target = db_session.get(Establishment, establishment.id)
            establishments.enable_plugin(db_session, regie_runtime.engine, target, name, settings)

    return enable


@pytest.fixture
def signed_in(client, make_user) -> Callable[..., WebClient]:
    """``signed_in(user=None, **make_user_kwargs)``: the test client signed in as that user."""

    def sign_in(user: User | None = None, **kwargs: Any) -> WebClient:
        user = user or make_user(**kwargs)
        response = client.sign_in(user.username, PASSWORD)
        assert response.status_code == 302, "sign-in failed"
        return client

    return sign_in


@pytest.fixture
def postgres_url() -> str:
    return require_service("postgres")


@pytest.fixture
def redis_url() -> str:
    return require_service("redis")


@pytest.fixture
def chromium_path() -> str:
    return require_service("browser")


@pytest.fixture
def make_smtp_server(tmp_path_factory):
    """``make_smtp_server(tls="starttls", username=None, password=None, auth_required=False,
    dsn=False)``: a started :class:`regie.testing.smtp.SMTPTestServer`, stopped after the test."""
    from regie.testing.smtp import SMTPTestServer

    servers = []

    def make(**options: Any):
        server = SMTPTestServer(tmp_path_factory.mktemp("smtp"), **options)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def smtp_server(make_smtp_server):
    """A real SMTP server on 127.0.0.1 offering STARTTLS (self-signed certificate, trusted
    through ``smtp_server.ca_file``) and AUTH PLAIN/LOGIN for ``smtp_server.username`` /
    ``smtp_server.password``. ``.received`` holds what it accepted, ``.wait_for(n)`` waits for
    it, ``.refuse(address)`` makes it refuse a recipient, ``.stop()``/``.start()`` play an
    outage on the same port."""
    return make_smtp_server(username="regie", password="smtp-secret")
