"""The school's sync page: streams with their last success and lateness, agent tokens shown
once, "send this pupil"; and the status PORTAL's dashboard reads."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from regie.api import record_sync, utcnow
from regie_reservation.sync import pulls
from regie_reservation.sync.models import SyncRequest, SyncToken
from regie_reservation.sync.status import stream_status

from .conftest import SLUG

PAGE = f"/{SLUG}/reservation/sync/"


def test_status_says_which_streams_are_late_against_their_cadence(transaction, session,
                                                                   school):
    now = utcnow()
    with transaction() as (writing, place):
        record_sync(writing, place, "reservation.payments")
        record_sync(writing, place, "reservation.individuals")
        record_sync(writing, place, "reservation.passages", state="failed", message="boom")

    statuses = {s.stream: s for s in stream_status(session, school, now=now)}
    assert not statuses["payments"].late and not statuses["individuals"].late
    assert statuses["reservations"].late and statuses["reservations"].last_success_at is None
    assert statuses["passages"].late and statuses["passages"].last_message == "boom"

    later = {s.stream: s for s in stream_status(session, school,
                                                now=now + dt.timedelta(minutes=4))}
    assert later["payments"].late and not later["individuals"].late
    much_later = stream_status(session, school, now=now + dt.timedelta(hours=5))
    assert all(s.late for s in much_later)


def test_staff_see_the_streams_but_not_the_tokens(signed_in, school, transaction):
    with transaction() as (writing, place):
        record_sync(writing, place, "reservation.payments")
    client = signed_in(roles={school: ["reservation.staff"]})

    page = client.get(PAGE).get_data(as_text=True)

    assert "Web payments pulled by the back office" in page and "On time" in page
    assert "Late" in page
    assert "Agent tokens" not in page
    assert client.post(f"{PAGE}tokens", data={"label": "x"}).status_code in (400, 403)


def test_an_admin_creates_a_token_shown_once_then_rotates_and_revokes_it(
        signed_in, school, session, client):
    admin = signed_in(roles={school: ["reservation.admin"]})

    created = admin.submit(PAGE, {"label": "Poste intendance"},
                           action=f"{PAGE}tokens")

    assert created.status_code == 201
    text = created.get_data(as_text=True)
    token = re.search(r'<code class="token">([^<]+)</code>', text).group(1)
    assert "shown only once" in text
    assert f"/callbacks/{SLUG}/reservation/sync/v1" in text
    stored = session.scalar(select(SyncToken))
    assert stored.label == "Poste intendance" and token.split(".")[1] not in text.replace(
        token, "")
    assert token not in admin.get(PAGE).get_data(as_text=True)
    assert client.get(f"/callbacks/{SLUG}/reservation/sync/v1/payments",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 200

    rotated = admin.submit(PAGE, {}, action=f"{PAGE}tokens/{stored.id}/rotate")
    new = re.search(r'<code class="token">([^<]+)</code>', rotated.get_data(as_text=True))
    assert new and new.group(1) != token
    assert client.get(f"/callbacks/{SLUG}/reservation/sync/v1/payments",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 401

    session.rollback()
    current = session.scalar(select(SyncToken).where(SyncToken.revoked_at.is_(None)))
    revoked = admin.submit(PAGE, {}, action=f"{PAGE}tokens/{current.id}/revoke")
    assert revoked.status_code == 302
    assert "revoked" in admin.get(PAGE).get_data(as_text=True)
    assert client.get(f"/callbacks/{SLUG}/reservation/sync/v1/payments",
                      headers={"Authorization": f"Bearer {new.group(1)}"}).status_code == 401


def test_send_this_pupil_asks_the_agent_for_90_days_and_unknown_ids_are_explained(
        signed_in, school, session, make_individual, sync_api):
    make_individual(external_id="1234", last_name="Durand", first_name="Zoé")
    admin = signed_in(roles={school: ["reservation.admin"]})

    unknown = admin.submit(PAGE, {"individual": "9999"}, action=f"{PAGE}send")
    assert unknown.status_code == 422
    assert "No individual has the back-office id or login 9999" in unknown.get_data(
        as_text=True)
    assert session.scalar(select(SyncRequest)) is None

    sent = admin.submit(PAGE, {"individual": "1234"}, action=f"{PAGE}send")
    assert sent.status_code == 302
    assert "Durand Zoé will be sent by the agent" in admin.get(PAGE).get_data(as_text=True)
    refresh = sync_api("get", "refresh").get_json()
    assert refresh["items"] == [{"individual": "1234", "days": 90}]


def test_a_sign_in_is_offered_to_the_agent_within_its_next_refresh(
        make_individual, transaction, sync_api, school):
    make_individual(external_id="77", last_name="Petit")
    first = sync_api("get", "refresh").get_json()
    assert first["items"] == []
    with transaction() as (writing, place):
        from regie_reservation import individuals

        individuals.by_external_id(writing, place, "77").last_login_at = utcnow()

    after = sync_api("get", "refresh", since=first["until"]).get_json()
    assert after["items"] == [{"individual": "77", "days": pulls.SIGN_IN_DAYS}]
    later = (dt.datetime.fromisoformat(after["until"]) + dt.timedelta(minutes=5)).isoformat()
    assert sync_api("get", "refresh", since=later).get_json()["items"] == []
