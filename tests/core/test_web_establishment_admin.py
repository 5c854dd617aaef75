"""Administration of one establishment: modules and their settings, members, audit log."""

from __future__ import annotations

import datetime as dt
import html
import re

import attrs
import pytest
from sqlalchemy import select, update

from regie.db.models import AuditEvent, EstablishmentPlugin, Membership
from regie.declarations import PluginInfo, Setting
from regie.services import audit, establishments

SECRET = "s3cret-api-key-value"


@pytest.fixture(autouse=True)
def english(client):
    with client.session_transaction() as session:
        session["lang"] = "en"


@pytest.fixture
def school(make_establishment):
    return make_establishment(slug="ecole", name="École Jaurès")


@pytest.fixture
def manager(signed_in, make_user, school):
    return signed_in(make_user("manon", roles={school: ["manager"]}))


@pytest.fixture
def coop_with_settings(regie_engine, monkeypatch):
    """The co-op plugin, declaring one setting of every kind for these tests."""
    settings = (
        Setting("merchant", "Merchant number", required=True),
        Setting("api_key", "API key", kind="secret", required=True),
        Setting("retries", "Retries", kind="int", default=3),
        Setting("sandbox", "Sandbox", kind="bool", default=True),
        Setting("mode", "Mode", kind="choice", default="test", required=True,
                choices=(("live", "Live"), ("test", "Test"))),
        Setting("contact", "Contact", kind="email"),
        Setting("site", "Web site", kind="url", help="Where members read the news."),
        Setting("notes", "Notes", kind="text"),
    )
    plugin = regie_engine.plugins["coop"]
    monkeypatch.setitem(regie_engine.plugins, "coop", attrs.evolve(
        plugin, info=PluginInfo(label="Co-op", description=plugin.info.description,
                                settings=settings)))
    return "coop"


def field_error(response, field_id: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field_id}-error">(.*?)</p>',
                      response.get_data(as_text=True), re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip() if match else ""


def stored_settings(regie_runtime, plugin):
    with regie_runtime.db.session() as session:
        row = session.scalar(select(EstablishmentPlugin).where(
            EstablishmentPlugin.plugin == plugin))
        return None if row is None else (row.enabled, row.settings)


def test_enabling_a_module_shows_it_and_disabling_hides_it(manager, regie_runtime):
    assert manager.get("/ecole/markets/").status_code == 404
    modules = manager.get("/ecole/admin/modules").get_data(as_text=True)
    assert "Markets" in modules and "/ecole/admin/modules/markets/enable" in modules

    enabled = manager.submit("/ecole/admin/modules", {},
                             action="/ecole/admin/modules/markets/enable",
                             follow_redirects=True)
    assert "“Markets” is switched on." in enabled.get_data(as_text=True)
    home = manager.get("/ecole/").get_data(as_text=True)
    assert 'href="/ecole/markets/"' in home
    assert manager.get("/ecole/markets/").status_code == 200

    disabled = manager.submit("/ecole/admin/modules", {},
                              action="/ecole/admin/modules/markets/disable",
                              follow_redirects=True)
    assert "“Markets” is switched off; its data is kept." in disabled.get_data(as_text=True)
    assert 'href="/ecole/markets/"' not in manager.get("/ecole/").get_data(as_text=True)
    assert manager.get("/ecole/markets/").status_code == 404
    assert stored_settings(regie_runtime, "markets")[0] is False


def test_audit_log_lists_the_enable_action(manager):
    manager.submit("/ecole/admin/modules", {}, action="/ecole/admin/modules/markets/enable")
    html = manager.get("/ecole/admin/audit").get_data(as_text=True)
    newest = html.split("<tbody>")[1].split("</tr>")[0]
    cells = [re.sub(r"<[^>]+>", "", cell).strip()
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", newest, re.S)]
    assert cells[1:4] == ["manon", "plugin.enable", "markets"]


def test_unknown_module_is_404(manager):
    assert manager.get("/ecole/admin/modules/nope/settings").status_code == 404
    response = manager.submit("/ecole/admin/modules", {}, action="/ecole/admin/modules/nope/enable")
    assert response.status_code == 404


def test_module_needing_settings_shows_its_form_before_switching_on(
        manager, coop_with_settings, regie_runtime):
    response = manager.submit("/ecole/admin/modules", {},
                              action="/ecole/admin/modules/coop/enable")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "“Co-op” needs its settings before it can be switched on." in html
    assert "is required" in field_error(response, "setting_merchant")
    assert "is required" in field_error(response, "setting_api_key")
    assert "Switch on with these settings" in html
    assert manager.get("/ecole/coop/").status_code == 404


def test_settings_errors_are_shown_and_the_secret_is_never_rendered_back(
        manager, coop_with_settings, regie_runtime):
    form = "/ecole/admin/modules/coop/settings"
    bad = manager.submit(form, {
        "from": "settings", "setting_merchant": "M-1234", "setting_api_key": SECRET,
        "setting_retries": "many", "setting_mode": "live", "setting_contact": "nobody",
        "setting_site": "ftp://example.org"}, action="/ecole/admin/modules/coop/enable")
    assert bad.status_code == 422
    assert "must be a whole number" in field_error(bad, "setting_retries")
    assert "is not an e-mail address" in field_error(bad, "setting_contact")
    assert "must start with http:// or https://" in field_error(bad, "setting_site")
    html = bad.get_data(as_text=True)
    assert 'value="M-1234"' in html and 'value="many"' in html, "typed values kept"
    assert SECRET not in html
    assert stored_settings(regie_runtime, "coop") is None, "nothing saved"

    good = manager.submit(form, {
        "from": "settings", "setting_merchant": "M-1234", "setting_api_key": SECRET,
        "setting_retries": "5", "setting_mode": "live", "setting_contact": "co@example.org",
        "setting_site": "https://example.org", "setting_notes": "Open on Saturdays"},
        action="/ecole/admin/modules/coop/enable")
    assert good.status_code == 302
    enabled, values = stored_settings(regie_runtime, "coop")
    assert enabled
    assert values == {"merchant": "M-1234", "api_key": SECRET, "retries": 5, "sandbox": True,
                      "mode": "live", "contact": "co@example.org",
                      "site": "https://example.org", "notes": "Open on Saturdays"}
    assert manager.get("/ecole/coop/").status_code == 200

    page = manager.get(form).get_data(as_text=True)
    assert SECRET not in page
    assert "A value is stored; leave empty to keep it." in page
    assert 'value="M-1234"' in page and "Open on Saturdays" in page
    assert "Where members read the news." in page

    kept = manager.submit(form, {"setting_merchant": "M-9999", "setting_api_key": "",
                                 "setting_retries": "5", "setting_mode": "live",
                                 "setting_sandbox": ""}, follow_redirects=True)
    assert "Settings of “Co-op” saved." in kept.get_data(as_text=True)
    _enabled, values = stored_settings(regie_runtime, "coop")
    assert (values["merchant"], values["api_key"], values["sandbox"]) == ("M-9999", SECRET, False)
    assert SECRET not in kept.get_data(as_text=True)


def test_settings_form_of_a_module_switched_off_offers_to_switch_it_on(manager,
                                                                      coop_with_settings):
    html = manager.get("/ecole/admin/modules/coop/settings").get_data(as_text=True)
    assert "This module is off." in html
    assert 'action="/ecole/admin/modules/coop/enable"' in html


def test_switching_a_module_back_on_keeps_its_settings(manager, coop_with_settings, school,
                                                       enable_plugin, regie_runtime):
    enable_plugin(school, "coop", merchant="M-1", api_key=SECRET)
    manager.submit("/ecole/admin/modules", {}, action="/ecole/admin/modules/coop/disable")
    back_on = manager.submit("/ecole/admin/modules", {}, action="/ecole/admin/modules/coop/enable")
    assert back_on.status_code == 302
    enabled, values = stored_settings(regie_runtime, "coop")
    assert enabled and values["merchant"] == "M-1" and values["api_key"] == SECRET


def test_members_grant_and_revoke(manager, make_user, regie_runtime):
    make_user("bob", full_name="Bob Durand")
    unknown = manager.submit("/ecole/admin/members", {"username": "nobody", "role": "auditor"})
    assert unknown.status_code == 422
    assert "no user has this username" in field_error(unknown, "username")
    assert 'value="nobody"' in unknown.get_data(as_text=True)

    granted = manager.submit("/ecole/admin/members", {"username": "bob", "role": "auditor"},
                             follow_redirects=True)
    html = granted.get_data(as_text=True)
    assert "Role “Auditor” granted to bob." in html
    assert "Bob Durand" in html

    with regie_runtime.db.session() as session:
        bob_id = session.scalar(select(Membership.user_id).where(Membership.role == "auditor"))
    revoked = manager.submit("/ecole/admin/members", {"user": str(bob_id), "role": "auditor"},
                             action="/ecole/admin/members/revoke", follow_redirects=True)
    assert "Role “Auditor” revoked from bob." in revoked.get_data(as_text=True)
    with regie_runtime.db.session() as session:
        assert session.scalar(select(Membership).where(Membership.user_id == bob_id)) is None


def test_roles_offered_are_those_of_the_core_and_enabled_modules(manager, school,
                                                                 enable_plugin):
    page = manager.get("/ecole/admin/members").get_data(as_text=True)
    assert 'value="auditor"' in page and 'value="markets.regie"' not in page
    enable_plugin(school, "markets")
    assert 'value="markets.regie"' in manager.get("/ecole/admin/members").get_data(as_text=True)


def test_audit_log_filters_and_pages(manager, school, regie_runtime, make_establishment):
    other = make_establishment(slug="other")
    with regie_runtime.db.transaction() as session:
        here = establishments.by_slug(session, "ecole")
        for number in range(60):
            audit.record(session, "demo.event", establishment=here, actor="robot",
                         target=f"item-{number:02d}")
            session.execute(update(AuditEvent).where(AuditEvent.target == f"item-{number:02d}")
                            .values(created_at=dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
                                    + dt.timedelta(hours=number)))
        audit.record(session, "demo.event", establishment=other, actor="robot",
                     target="elsewhere")

    first = manager.get("/ecole/admin/audit?action=demo.event").get_data(as_text=True)
    assert "60 events" in first
    assert first.index("item-59") < first.index("item-58"), "newest first"
    assert "item-09" not in first and "elsewhere" not in first
    assert "Page 1 of 2" in first
    second = manager.get("/ecole/admin/audit?action=demo.event&page=2").get_data(as_text=True)
    assert "item-09" in second and "item-59" not in second

    day = manager.get("/ecole/admin/audit?since=2026-03-02&until=2026-03-02").get_data(
        as_text=True)
    shown = set(re.findall(r"item-\d\d", day))
    assert shown == {f"item-{hour:02d}" for hour in range(11, 35)}, "in Paris time"

    by_user = manager.get("/ecole/admin/audit?actor=rob").get_data(as_text=True)
    assert "60 events" in by_user
    nobody = manager.get("/ecole/admin/audit?actor=zed").get_data(as_text=True)
    assert "No event matches." in nobody

    reversed_period = manager.get("/ecole/admin/audit?since=2026-03-05&until=2026-03-01")
    assert "must not be before the start of the period" in reversed_period.get_data(
        as_text=True)


def test_audit_events_of_the_admin_pages_name_the_user(manager, regie_runtime):
    manager.submit("/ecole/admin/modules", {}, action="/ecole/admin/modules/markets/enable")
    with regie_runtime.db.session() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "plugin.enable"))
        assert (event.actor, event.target) == ("manon", "markets")


def test_a_required_choice_without_default_is_asked_for(manager, regie_engine, monkeypatch):
    plugin = regie_engine.plugins["coop"]
    monkeypatch.setitem(regie_engine.plugins, "coop", attrs.evolve(plugin, info=PluginInfo(
        label="Co-op", settings=(Setting("mode", "Mode", kind="choice", required=True,
                                         choices=(("live", "Live"), ("test", "Test"))),))))
    asked = manager.submit("/ecole/admin/modules", {}, action="/ecole/admin/modules/coop/enable")
    assert asked.status_code == 422
    assert "is required" in field_error(asked, "setting_mode")

    forged = manager.submit("/ecole/admin/modules/coop/settings", {
        "from": "settings", "setting_mode": "chaos"}, action="/ecole/admin/modules/coop/enable")
    assert "must be one of: live, test" in field_error(forged, "setting_mode")
