"""home: the establishment home page of a signed-in member (``GET /<slug>/``).

Régie reads the session, loads the user, finds the establishment by its slug with its enabled
plugins, checks the member's role, lists the modules the role opens and renders the page. The
baseline does the same with two hand-written queries and one template.

Régie's page also shows the dashboard widgets of the enabled plugins that the role may see
(markets adds four, one of them counting traders with a query); the baseline has none of them,
so the ratio includes their cost.
"""

from __future__ import annotations

import secrets

from benchmarks.instance import Instance
from benchmarks.signin import session_cookie
from benchmarks.workloads import HttpWorkload, Request
from regie.services import establishments, users

SLUG = "saint-exemple"
NAME = "Ville de Saint-Exemple"
PLUGINS = ("reservation", "markets", "billpay", "coop")
USERNAME = "agent.accueil"


def prepare(instance: Instance):
    """The establishment among a few others (so lookups are not on one-row tables), the member
    and a few colleagues."""
    runtime = instance.runtime
    password = secrets.token_urlsafe(16)
    with runtime.db.transaction() as session:
        for number in range(1, 6):
            other = establishments.create(session, runtime.engine, slug=f"commune-{number}",
                                          name=f"Commune {number}")
            establishments.enable_plugin(session, runtime.engine, other, "markets", {})
        establishment = establishments.create(session, runtime.engine, slug=SLUG, name=NAME)
        for plugin in PLUGINS:
            establishments.enable_plugin(session, runtime.engine, establishment, plugin, {})
        member = users.create(session, USERNAME, password)
        users.grant(session, runtime.engine, member, establishment, "manager")
        for number in range(1, 6):
            colleague = users.create(session, f"agent{number}", secrets.token_urlsafe(16))
            users.grant(session, runtime.engine, colleague, establishment, "manager")

    def request(base: str) -> Request:
        page = f"/{SLUG}/"
        return Request(page, expect=NAME, cookie=session_cookie(base, USERNAME, password, page))

    return request


WORKLOAD = HttpWorkload(
    description="the establishment home page of a signed-in member (GET /<slug>/)",
    prepare=prepare,
    baseline="benchmarks.baselines.home:create_app()",
)
