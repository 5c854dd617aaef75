"""The supervisor's pages: create desks, assign cashiers, issue a desk's certificate (the
browser downloads the .p12) and revoke it; cashiers cannot open them."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from sqlalchemy import select

from regie.testing.plugin import PASSWORD
from regie_billpay.certificates import CertificateAuthority, fingerprint
from regie_billpay.models import City, Desk, DeskCashier

from .conftest import SLUG

DESKS = f"/{SLUG}/billpay/desk/desks"


@pytest.fixture
def supervisor_client(client, make_user, town):
    supervisor = make_user("nachalnyk", roles={town: ["billpay.supervisor"]})
    client.sign_in(supervisor.username, PASSWORD)
    return client


def _token(client, path) -> str:
    page = client.get(path).get_data(as_text=True)
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    return page[start:page.index('"', start)]


def _post(client, path, data, *, page=None, **kwargs):
    return client.post(f"{path}?lang=en", data={"csrf_token": _token(client, page or path),
                                                **data}, **kwargs)


def test_supervisor_creates_a_desk_and_bad_fields_are_shown(supervisor_client, centre,
                                                           regie_runtime):
    bad = _post(supervisor_client, DESKS, {"code": "", "name": "Каса 7", "bank": "П" * 201,
                                           "opens_at": "9h", "closes_at": "08:00",
                                           "city_id": str(centre["city"])})
    good = _post(supervisor_client, DESKS, {"code": "K-07", "name": "Каса 7", "bank": "Пошта",
                                            "opens_at": "08:30", "closes_at": "17:30",
                                            "city_id": str(centre["city"]),
                                            "inter_city": "on"}, follow_redirects=True)

    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert "is required" in page and "Give a time such as 08:30" in page
    assert "At most 200 characters" in page
    assert 'value="Каса 7"' in page  # what was typed is kept
    assert good.status_code == 200 and "Desk K-07 created" in good.get_data(as_text=True)
    with regie_runtime.db.transaction() as session:
        desk = session.scalar(select(Desk).where(Desk.code == "K-07"))
        assert desk.inter_city and desk.opens_at.strftime("%H:%M") == "08:30"


def test_supervisor_assigns_and_removes_a_cashier(supervisor_client, make_user, desk,
                                                  regie_runtime):
    colleague = make_user("olena")
    path = f"{DESKS}/{desk}/cashiers"

    added = _post(supervisor_client, path, {"username": "olena"}, page=f"{DESKS}/{desk}",
                  follow_redirects=True)
    unknown = _post(supervisor_client, path, {"username": "nobody"}, page=f"{DESKS}/{desk}",
                    follow_redirects=True)

    assert "olena is now a cashier of desk K-01" in added.get_data(as_text=True)
    assert "No user &#39;nobody&#39;" in unknown.get_data(as_text=True)
    with regie_runtime.db.transaction() as session:
        assert session.scalar(select(DeskCashier).where(DeskCashier.user_id == colleague.id))
    _post(supervisor_client, path, {"remove": str(colleague.id)}, page=f"{DESKS}/{desk}")
    with regie_runtime.db.transaction() as session:
        assert not session.scalar(select(DeskCashier).where(
            DeskCashier.user_id == colleague.id))


def test_supervisor_issues_then_revokes_a_desk_certificate(supervisor_client, desk,
                                                           regie_runtime):
    path = f"{DESKS}/{desk}/certificate"
    short = _post(supervisor_client, path, {"password": "short"}, page=f"{DESKS}/{desk}",
                  follow_redirects=True)
    issued = _post(supervisor_client, path, {"password": "kasa-k01-2026"},
                   page=f"{DESKS}/{desk}")

    assert "at least 8 characters" in short.get_data(as_text=True)
    assert issued.status_code == 200
    assert f"{SLUG}-desk-K-01.p12" in issued.headers["Content-Disposition"]
    _key, certificate, _cas = pkcs12.load_key_and_certificates(issued.data, b"kasa-k01-2026")
    with regie_runtime.db.transaction() as session:
        assert session.get(Desk, desk).certificate_fingerprint == fingerprint(certificate)

    revoked = _post(supervisor_client, f"{DESKS}/{desk}/revoke", {"reason": "lost"},
                    page=f"{DESKS}/{desk}", follow_redirects=True)

    assert "desk K-01 has no certificate now" in revoked.get_data(as_text=True)
    authority = CertificateAuthority.of_instance(regie_runtime.config.instance)
    assert format(certificate.serial_number, "x") in authority.revoked()
    with regie_runtime.db.transaction() as session:
        assert session.get(Desk, desk).certificate_serial is None


def test_cashiers_cannot_open_the_supervisor_pages(cashier_client, desk):
    assert cashier_client.get(DESKS).status_code == 403
    assert cashier_client.get(f"{DESKS}/{desk}").status_code == 403


def test_a_desk_of_another_establishment_is_not_found(supervisor_client, make_establishment,
                                                      regie_runtime, centre):
    other = make_establishment("poltava", plugins=["billpay"])
    with regie_runtime.db.transaction() as session:
        city = City(establishment_id=other.id, code="PLT", name="Полтава")
        session.add(city)
        session.flush()
        foreign = Desk(establishment_id=other.id, code="P-01", name="Чужа", city_id=city.id)
        session.add(foreign)
        session.flush()
        foreign_id = foreign.id

    assert supervisor_client.get(f"{DESKS}/{foreign_id}").status_code == 404
