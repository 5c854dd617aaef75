"""Pages used on a phone fit a 360 px wide screen: nothing to scroll sideways."""

import pytest

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 360, "height": 640}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


def _scroll_width(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def test_sign_in_page_fits_a_phone(new_page, artifacts):
    page = new_page(**PHONE)
    page.goto("/login")
    page.screenshot(path=artifacts / "phone-sign-in.png", full_page=True)
    assert _scroll_width(page) <= 360


def test_establishment_home_fits_a_phone(new_page, sign_in, artifacts, make_establishment,
                                         make_user):
    establishment = make_establishment(
        slug="marche-de-la-place-du-general-de-gaulle",
        name="Marché hebdomadaire de la place du Général-de-Gaulle et des halles couvertes",
        plugins=["markets", "coop", "billpay", "reservation"])
    user = make_user(roles={establishment: ["manager"]})
    page = new_page(**PHONE)
    sign_in(page, user.username)

    page.goto(f"/{establishment.slug}/")
    page.screenshot(path=artifacts / "phone-establishment-home.png", full_page=True)

    assert page.locator(f"main a[href='/{establishment.slug}/markets/']").is_visible()
    assert _scroll_width(page) <= 360
