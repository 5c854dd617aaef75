"""The agent's TOML configuration: the hosted server, the cadences and the back-office mapping.

A mapping names, for each kind of record, the back office's table (SQL) or file (CSV) and the
column holding each field. Only ``external_id`` and the fields marked required below must be
mapped; a field left out is not read (or not written). Example (SQL back office)::

    [server]
    url = "https://regie.example.org"
    establishment = "college-jean-moulin"
    token_file = "token.txt"            # or token = "rst_…"

    [cadences]                          # seconds; the seed's defaults
    payments = 60
    reservations = 60
    individuals = 7200
    full_push_at = "03:30"              # local time; the full push must end before 05:00

    [backoffice]
    kind = "sql"                        # or "csv"
    url = "postgresql+psycopg://ocs@db/orcadia"
    schema = "ocs"                      # optional
    money = "units"                     # amounts in euros (decimal) or "cents"

    [backoffice.individuals]
    table = "eleves"
    [backoffice.individuals.columns]    # field = "column"
    external_id = "id"
    last_name = "nom"
    first_name = "prenom"
    class_name = "classe"
    regime = "regime"
    login = "login"
    password = "passe"
    balance = "solde"

For a CSV back office, ``folder`` is the exchange folder; ``file`` replaces ``table`` and columns
are header names. Payments and reservations pulled from the web are written (SQL) into the
mapped tables, or (CSV) as new files in ``payments/`` and ``reservations/`` of the folder.
"""

from __future__ import annotations

import datetime as dt
import tomllib
import urllib.parse
import zoneinfo
from pathlib import Path
from typing import Any

import attrs

from regie.api import Invalid
from regie.api import gettext as _

FIELDS: dict[str, tuple[str, ...]] = {
    "individuals": ("external_id", "last_name", "first_name", "kind", "class_name", "regime",
                    "login", "password", "email", "responsible_name", "responsible_email",
                    "balance", "active"),
    "passages": ("external_id", "individual", "day", "meal", "price"),
    "payments": ("reference", "individual", "amount", "day", "mode", "receipt", "number"),
    "reservations": ("web_id", "individual", "day", "meal", "cancelled"),
}
LOOPBACK = ("127.0.0.1", "localhost", "::1")
"""Hosts the agent may reach over plain HTTP (its own machine); anything else needs HTTPS."""
REQUIRED: dict[str, tuple[str, ...]] = {
    "individuals": ("external_id", "last_name"),
    "passages": ("external_id", "individual", "day", "price"),
    "payments": ("reference", "individual", "amount"),
    "reservations": ("web_id", "individual", "day"),
}


@attrs.frozen
class Entity:
    """Where one kind of record lives in the back office."""

    name: str
    table: str
    columns: dict[str, str]

    def column(self, field: str) -> str | None:
        return self.columns.get(field)


@attrs.frozen
class Cadences:
    payments: float = 60
    reservations: float = 60
    individuals: float = 7200
    refresh: float = 10
    """How often the agent asks which individuals signed in (refreshed within 20 s)."""
    full_push_at: dt.time = dt.time(3, 30)
    full_push_before: dt.time = dt.time(5, 0)
    timezone: str = "Europe/Paris"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


@attrs.frozen
class AgentConfig:
    server_url: str
    establishment: str
    token: str
    backend: str
    state_path: Path
    cadences: Cadences
    entities: dict[str, Entity]
    url: str = ""
    schema: str | None = None
    folder: Path | None = None
    delimiter: str = ";"
    money: str = "cents"
    payment_mode: str = "CB_Internet"
    timeout: float = 30
    retry_for: float = 300
    batch: int = 500
    excluded_regimes: tuple[str, ...] = ("tempo", "sans régime")

    def entity(self, name: str) -> Entity | None:
        return self.entities.get(name)


def load(path: Path | str) -> AgentConfig:
    """Read and check the configuration file; :class:`Invalid` lists every problem."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise Invalid({"config": _("cannot read %(path)s: %(error)s", path=str(path),
                                   error=exc.strerror or str(exc))}) from None
    except tomllib.TOMLDecodeError as exc:
        raise Invalid({"config": _("%(path)s is not valid TOML: %(error)s", path=str(path),
                                   error=str(exc))}) from None
    return parse(raw, base=path.parent)


def parse(raw: dict[str, Any], *, base: Path) -> AgentConfig:
    errors: dict[str, str] = {}
    server = raw.get("server", {})
    agent = raw.get("agent", {})
    office = raw.get("backoffice", {})
    token = str(server.get("token", "")).strip()
    if not token and server.get("token_file"):
        try:
            token = (base / server["token_file"]).read_text(encoding="utf-8").strip()
        except OSError as exc:
            errors["server.token_file"] = _("cannot read it: %(error)s",
                                            error=exc.strerror or str(exc))
    for key in ("url", "establishment"):
        if not str(server.get(key, "")).strip():
            errors[f"server.{key}"] = _("is required")
    parts = urllib.parse.urlsplit(str(server.get("url", "")))
    if server.get("url") and parts.scheme != "https" and not (
            parts.scheme == "http" and parts.hostname in LOOPBACK):
        errors["server.url"] = _("must start with https:// (plain http only towards this "
                                 "machine)")
    if not token and "server.token_file" not in errors:
        errors["server.token"] = _("is required (token or token_file)")
    backend = office.get("kind", "sql")
    if backend not in ("sql", "csv"):
        errors["backoffice.kind"] = _("must be sql or csv")
    if backend == "sql" and not office.get("url"):
        errors["backoffice.url"] = _("is required for an SQL back office")
    if backend == "csv" and not office.get("folder"):
        errors["backoffice.folder"] = _("is required for a CSV back office")
    if office.get("money", "cents") not in ("cents", "units"):
        errors["backoffice.money"] = _("must be cents or units")
    entities = {}
    for name in FIELDS:
        section = office.get(name)
        if section is None:
            continue
        entity, problems = _entity(name, section, backend)
        errors.update(problems)
        if entity is not None:
            entities[name] = entity
    if "individuals" not in entities and not any(k.startswith("backoffice.individuals")
                                                 for k in errors):
        errors["backoffice.individuals"] = _("is required")
    cadences = _cadences(raw.get("cadences", {}), errors)
    if errors:
        raise Invalid(errors)
    return AgentConfig(
        server_url=str(server["url"]).rstrip("/"), establishment=str(server["establishment"]),
        token=token, backend=backend,
        state_path=base / agent.get("state", "canteen-agent-state.sqlite"),
        cadences=cadences, entities=entities, url=office.get("url", ""),
        schema=office.get("schema") or None,
        folder=(base / office["folder"]) if backend == "csv" else None,
        delimiter=office.get("delimiter", ";"), money=office.get("money", "cents"),
        payment_mode=office.get("payment_mode", "CB_Internet"),
        timeout=float(server.get("timeout", 30)), retry_for=float(server.get("retry_for", 300)),
        batch=int(agent.get("batch", 500)),
        excluded_regimes=tuple(agent.get("excluded_regimes", ("tempo", "sans régime"))))


def _entity(name: str, section: dict[str, Any], backend: str) -> tuple[Entity | None,
                                                                        dict[str, str]]:
    key = "table" if backend == "sql" else "file"
    problems = {}
    where = str(section.get(key, "")).strip()
    if not where:
        problems[f"backoffice.{name}.{key}"] = _("is required")
    columns = {str(field): str(column) for field, column in section.get("columns", {}).items()}
    unknown = sorted(set(columns) - set(FIELDS[name]))
    if unknown:
        problems[f"backoffice.{name}.columns"] = _(
            "unknown fields %(unknown)s (known: %(known)s)", unknown=", ".join(unknown),
            known=", ".join(FIELDS[name]))
    missing = [field for field in REQUIRED[name] if field not in columns]
    if missing:
        problems[f"backoffice.{name}.columns"] = _("map the required fields %(missing)s",
                                                   missing=", ".join(missing))
    if problems:
        return None, problems
    return Entity(name, where, columns), {}


def _cadences(raw: dict[str, Any], errors: dict[str, str]) -> Cadences:
    values: dict[str, Any] = {}
    for key in ("payments", "reservations", "individuals", "refresh"):
        if key in raw:
            try:
                values[key] = float(raw[key])
                if values[key] <= 0:
                    raise ValueError
            except (TypeError, ValueError):
                errors[f"cadences.{key}"] = _("must be a number of seconds above zero")
    for key in ("full_push_at", "full_push_before"):
        if key in raw:
            try:
                values[key] = dt.time.fromisoformat(str(raw[key]))
            except ValueError:
                errors[f"cadences.{key}"] = _("must be a time like 03:30")
    if "timezone" in raw:
        try:
            zoneinfo.ZoneInfo(str(raw["timezone"]))
            values["timezone"] = str(raw["timezone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            errors["cadences.timezone"] = _("unknown time zone")
    return Cadences(**values)
