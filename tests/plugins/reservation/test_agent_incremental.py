"""An incremental push sends only what is new since the hosted side acknowledged it."""

from __future__ import annotations

from sqlalchemy import select, update

from regie_reservation.models import Passage
from tests.plugins.reservation.test_agent_sql import EURO, RECENT, fill, run


def test_a_new_meal_of_an_unchanged_pupil_is_sent_alone_and_an_edited_one_is_not(
        backoffice, live_server, sync_token, tmp_path, session, school):
    fill(backoffice)
    path = backoffice.config(tmp_path, live_server, sync_token)
    run(path, "individuals")
    with backoffice.engine.begin() as connection:
        connection.execute(update(backoffice.passages).where(backoffice.passages.c.id == 1)
                           .values(repas="soir"))
    backoffice.insert(backoffice.passages, {"id": 5, "id_eleve": 1001, "date_passage": RECENT,
                                            "repas": "midi", "prix": EURO("3.30")})

    [outcome] = run(path, "individuals")

    counts = outcome.counts
    assert (counts["created"], counts["updated"]) == (0, 1)
    assert (counts["passages recorded"], counts["passages already there"]) == (1, 0)
    assert sorted(session.scalars(select(Passage.external_id))) == ["1", "3", "5"]
    assert dict(run(path, "individuals")[0].counts) == {}


def test_once_every_meal_is_acknowledged_a_new_one_is_still_sent(
        backoffice, live_server, sync_token, tmp_path, session, school):
    fill(backoffice)
    with backoffice.engine.begin() as connection:
        connection.execute(update(backoffice.eleves).where(backoffice.eleves.c.id == 1003)
                           .values(login="sans.login"))
    path = backoffice.config(tmp_path, live_server, sync_token)
    run(path, "individuals")
    assert dict(run(path, "individuals")[0].counts) == {}
    backoffice.insert(backoffice.passages, {"id": 6, "id_eleve": 1003, "date_passage": RECENT,
                                            "repas": "midi", "prix": EURO("3.30")})

    [outcome] = run(path, "individuals")

    assert (outcome.counts["updated"], outcome.counts["passages recorded"]) == (1, 1)
    assert sorted(session.scalars(select(Passage.external_id))) == ["1", "3", "4", "6"]
    assert dict(run(path, "individuals")[0].counts) == {}


def test_a_pupil_given_a_login_later_brings_the_meals_of_the_window(
        backoffice, live_server, sync_token, tmp_path, session, school):
    fill(backoffice)
    path = backoffice.config(tmp_path, live_server, sync_token)
    run(path, "individuals")
    run(path, "individuals")
    with backoffice.engine.begin() as connection:
        connection.execute(update(backoffice.eleves).where(backoffice.eleves.c.id == 1003)
                           .values(login="sans.login"))

    [outcome] = run(path, "individuals")

    assert (outcome.counts["created"], outcome.counts["passages recorded"]) == (1, 1)
    assert sorted(session.scalars(select(Passage.external_id))) == ["1", "3", "4"]
