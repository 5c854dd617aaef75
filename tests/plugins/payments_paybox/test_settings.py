"""Per-establishment settings: checked as a whole, refused with a clear message."""

from __future__ import annotations

import pytest

from regie.api import Veto
from regie.services import establishments
from regie_paybox import settings
from regie_paybox.hosts import PAGE_HOSTS, PPPS_URLS

from .conftest import SLUG

PRODUCTION = {"environment": "production", "site": "1234567", "rang": "01",
              "identifiant": "123456789", "hmac_key": "AB" * 64}


def test_defaults_are_the_public_test_account(make_establishment, regie_runtime, session):
    make_establishment(SLUG, plugins=["payments_paybox"])
    stored = establishments.enabled_plugins(establishments.by_slug(session, SLUG))
    loaded = settings.load(stored["payments_paybox"])
    assert (loaded.environment, loaded.merchant, loaded.account.identifiant) == (
        "test", "1999888/32", "107904482")
    assert loaded.account.hmac_key == settings.TEST_HMAC_KEY
    assert loaded.page_hosts == PAGE_HOSTS["test"] and loaded.ppps_urls == PPPS_URLS["test"]
    assert loaded.language == "FRA"


@pytest.mark.parametrize(("changes", "message"), [
    ({"hmac_key": "0123456789ABCDEZ"}, "HMAC key: it is not hexadecimal (it contains 'Z')."),
    ({"hmac_key": "ABC"}, "even number of hexadecimal digits (it has 3)"),
    ({"hmac_key": ""}, "HMAC key: it is empty; copy it from the Paybox back office."),
    ({"hmac_key": "0123456789ABCDEF" * 8}, "public test key cannot be used in production"),
    ({"site": "12345"}, "Site number: 7 digits are expected."),
    ({"site": "1999888"}, "public test account cannot be used in production"),
    ({"rang": "ab"}, "Rang: 1 to 3 digits are expected."),
    ({"identifiant": "1234567890"}, "Paybox identifier: 1 to 9 digits are expected."),
    ({"ipn_allowed_ips": "10.0.0.1 10.0.0.300"},
     "Addresses allowed to notify: 10.0.0.300 is not an IP address or network."),
    ({"ipn_enforce_ips": True}, "needs a list of allowed addresses"),
    ({"hosts": "http://127.0.0.1:8089"}, "http://127.0.0.1:8089: production needs https."),
])
def test_problems_name_the_setting(changes, message):
    found = " ".join(settings.problems({**PRODUCTION, **changes}))
    assert message in found


def test_a_good_production_setup_has_no_problem():
    assert settings.problems(PRODUCTION) == []
    loaded = settings.load({**PRODUCTION, "language": "GBR"})
    assert loaded.page_hosts == PAGE_HOSTS["production"] and not loaded.test
    assert loaded.language == "GBR"


def test_enabling_with_a_key_that_is_not_hex_is_vetoed(make_establishment):
    with pytest.raises(Veto, match="not hexadecimal"):
        make_establishment(SLUG, plugins={"payments_paybox": {"hmac_key": "not-a-key!"}})


def test_changing_to_a_bad_key_is_vetoed_and_keeps_the_old_one(make_establishment,
                                                              regie_runtime, session):
    make_establishment(SLUG, plugins={"payments_paybox": {"hmac_key": "AB" * 64}})
    with pytest.raises(Veto, match="even number"), regie_runtime.db.transaction() as tx:
        place = establishments.by_slug(tx, SLUG)
        establishments.update_settings(tx, regie_runtime.engine, place, "payments_paybox",
                                       {"hmac_key": "ABC"})
    stored = establishments.enabled_plugins(establishments.by_slug(session, SLUG))
    assert stored["payments_paybox"]["hmac_key"] == "AB" * 64


def test_switching_to_production_needs_a_real_key(make_establishment, regie_runtime):
    make_establishment(SLUG, plugins=["payments_paybox"])
    with pytest.raises(Veto, match="HMAC key: it is empty"), (
            regie_runtime.db.transaction()) as tx:
        establishments.update_settings(tx, regie_runtime.engine,
                                       establishments.by_slug(tx, SLUG), "payments_paybox",
                                       {"environment": "production"})


def test_ip_allow_list():
    loaded = settings.load({**PRODUCTION, "ipn_allowed_ips": "194.2.122.158, 195.25.7.0/24"})
    assert loaded.ip_allowed("194.2.122.158") and loaded.ip_allowed("195.25.7.12")
    assert not loaded.ip_allowed("10.0.0.1") and not loaded.ip_allowed("not an ip")
    assert settings.load(PRODUCTION).ip_allowed("10.0.0.1"), "no list: everyone may notify"


def test_secret_settings_are_declared_secret():
    secret = {setting.key for setting in settings.DECLARED if setting.secret}
    assert secret == {"hmac_key", "ppps_key"}


def test_demo_pays_through_the_local_simulator(regie_runtime, session):
    from regie.cli.demo import load_demo_data

    load_demo_data(regie_runtime)
    stored = establishments.enabled_plugins(establishments.by_slug(session, "ecole-demo"))
    loaded = settings.load(stored["payments_paybox"])
    assert loaded.test and loaded.page_hosts == ("http://127.0.0.1:8089",)
    assert loaded.fallback_email == "paiements@demo.regie.example"


def test_settings_form_keeps_the_key_secret_and_refuses_a_bad_one(signed_in, make_establishment,
                                                                  regie_runtime, session):
    import html as html_module

    place = make_establishment(SLUG, plugins={"payments_paybox": {"hmac_key": "AB" * 64}},
                               locale="en")
    client = signed_in(roles={place: ["manager"]})
    url = f"/{SLUG}/admin/modules/payments_paybox/settings"
    page = client.get(url).get_data(as_text=True)
    assert "AB" * 64 not in page, "the key is write-only"
    refused = client.submit(url, {"setting_hmac_key": "not-hex"})
    assert refused.status_code == 422
    text = html_module.unescape(refused.get_data(as_text=True))
    assert "HMAC key: it is not hexadecimal (it contains '-', 'h', 'n', 'o', 't', 'x')." in text
    session.rollback()
    stored = establishments.enabled_plugins(establishments.by_slug(session, SLUG))
    assert stored["payments_paybox"]["hmac_key"] == "AB" * 64
