"""An administrator switches a module on for an establishment from the admin pages, and the
module appears on the establishment's home, ready to open."""

import pytest

pytestmark = pytest.mark.browser


def test_admin_switches_a_module_on_and_opens_it(
        new_page, sign_in, artifacts, make_establishment, make_user):
    make_establishment(slug="mairie-lunel", name="Mairie de Lunel", plugins=["coop"])
    admin = make_user(superuser=True)
    page = new_page()
    sign_in(page, admin.username)
    module_card = page.locator("main a[href='/mairie-lunel/markets/']")

    page.get_by_role("link", name="Mairie de Lunel").first.click()
    assert page.url.endswith("/mairie-lunel/")
    assert module_card.count() == 0
    page.locator("main a[href='/mairie-lunel/admin/modules']").click()
    markets = page.locator("#module-markets")
    markets.locator("form button[type=submit]").click()
    page.wait_for_load_state()
    assert markets.locator("form[action$='/markets/disable']").count() == 1, "not switched on"
    page.screenshot(path=artifacts / "admin-modules-markets-on.png", full_page=True)

    page.get_by_role("link", name="Mairie de Lunel").first.click()
    assert page.url.endswith("/mairie-lunel/")
    module_card.click()

    assert page.url.endswith("/mairie-lunel/markets/")
    assert page.locator("main").is_visible()
