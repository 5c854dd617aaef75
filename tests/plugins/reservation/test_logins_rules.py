"""Initialization logins, their reset, the family's own login and password, and the import
of existing logins with its reject file."""

from __future__ import annotations

import re

import pytest

from regie.api import Invalid
from regie_reservation import individuals, logins


def _all(session, place):
    from sqlalchemy import select

    from regie_reservation.models import Individual

    return list(session.scalars(select(Individual).where(Individual.establishment_id == place.id)
                                .order_by(Individual.id)))


def test_initialization_logins_are_readable_and_unique(transaction, make_individual):
    for _ in range(3):
        make_individual(first_name="Léa", last_name="Dupont-Martin")
    make_individual(first_name="Noé", last_name="Ñúñez", login="noe.kept")
    with transaction() as (session, place):
        changed = logins.initialize(session, place, _all(session, place))
        assert [row.login for row in changed] == [
            "lea.dupontmartin", "lea.dupontmartin2", "lea.dupontmartin3"]
        for row in changed:
            assert re.fullmatch(r"[bdfgkmnprstvz][aeiou][bdfgkmnprstvz][aeiou]-\d\d-"
                                r"[bdfgkmnprstvz][aeiou][bdfgkmnprstvz][aeiou]",
                                row.initial_password)
        assert individuals.by_login(session, place, "noe.kept") is not None


def test_reset_gives_back_an_initialization_login_after_the_family_changed_it(
        transaction, make_individual):
    individual_id = make_individual(first_name="Tom", last_name="Blanc")
    with transaction() as (session, place):
        individual = individuals.get(session, place, individual_id)
        logins.initialize(session, place, [individual])
        first_password = individual.initial_password
        logins.change_login(session, place, individual, "tomtom")
        logins.change_password(individual, first_password, "soleil2026b", "soleil2026b")
        assert individual.initial_password is None and logins.verify(individual, "soleil2026b")
        logins.initialize(session, place, [individual], reset=True)
        assert individual.login == "tom.blanc" and individual.family_changed_at is None
        assert not logins.verify(individual, "soleil2026b")
        assert logins.verify(individual, individual.initial_password)


@pytest.mark.parametrize(("new", "confirm", "field", "message"), [
    ("short1", "short1", "new", "at least 8"),
    ("onlyletters", "onlyletters", "new", "letters and digits"),
    ("11111111a", "11111111a", "new", "too easy"),
    ("cantine2026x", "cantine2026y", "confirm", "differ"),
])
def test_a_weak_or_mistyped_new_password_is_refused(transaction, make_individual, new, confirm,
                                                     field, message):
    individual_id = make_individual(login="ana.lopez", password="kamo-12-tibu")
    with transaction() as (session, place):
        individual = individuals.get(session, place, individual_id)
        with pytest.raises(Invalid) as refused:
            logins.change_password(individual, "kamo-12-tibu", new, confirm)
        assert message in refused.value.errors[field]
        assert logins.verify(individual, "kamo-12-tibu")


def test_the_current_password_is_required_to_change_it(transaction, make_individual):
    individual_id = make_individual(login="ana.lopez", password="kamo-12-tibu")
    with transaction() as (session, place):
        individual = individuals.get(session, place, individual_id)
        with pytest.raises(Invalid) as refused:
            logins.change_password(individual, "wrong", "cantine2026x", "cantine2026x")
        assert "current" in refused.value.errors


def test_a_login_collision_is_refused(transaction, make_individual):
    make_individual(login="zoe.durand")
    other = make_individual(login="zoe.durand2")
    with transaction() as (session, place):
        individual = individuals.get(session, place, other)
        with pytest.raises(Invalid, match="taken"):
            logins.change_login(session, place, individual, " Zoe.Durand")
        with pytest.raises(Invalid, match="lowercase"):
            logins.change_login(session, place, individual, "zo")


def test_authenticate_with_the_initialization_then_the_chosen_password(transaction,
                                                                       make_individual):
    individual_id = make_individual(login="ana.lopez", password="kamo-12-tibu")
    with transaction() as (session, place):
        assert logins.authenticate(session, place, "ANA.lopez ", "kamo-12-tibu").id == (
            individual_id)
        assert logins.authenticate(session, place, "ana.lopez", "kamo-12-tib") is None
        assert logins.authenticate(session, place, "nobody", "kamo-12-tibu") is None
        assert individuals.get(session, place, individual_id).last_login_at is not None


def test_import_sets_logins_or_rejects_the_whole_file(transaction, make_individual):
    make_individual(external_id="100", login="taken.one")
    make_individual(external_id="101")
    make_individual(external_id="102")
    bad = (b"101;paul.henry;secret99\r\n"
           b"999;ghost;secret99\r\n"
           b"102;Paul.Henry;secret99\r\n"
           b"102;x;secret99\r\n"
           b"102;taken.one;secret99\r\n"
           b"102;ok.login;abc\r\n")
    with transaction() as (session, place):
        imported, rejects = logins.import_csv(session, place, bad)
        assert imported == 0
        reasons = {reject.number: reject.reason for reject in rejects}
        assert set(reasons) == {2, 3, 4, 5, 6}
        assert "999" in reasons[2] and "line 1" in reasons[3] and "lowercase" in reasons[4]
        assert "belongs to individual 100" in reasons[5] and "6 characters" in reasons[6]
        assert b"999;ghost;secret99" in rejects.to_csv()
        assert individuals.by_external_id(session, place, "101").login is None
    good = b"101;paul.henry;secret99\n102;marie.k;motdepasse\n"
    with transaction() as (session, place):
        assert logins.import_csv(session, place, good)[0] == 2
        imported = individuals.by_external_id(session, place, "102")
        assert imported.login == "marie.k" and logins.verify(imported, "motdepasse")


def test_import_refuses_a_file_that_is_not_csv(transaction):
    with pytest.raises(Invalid), transaction() as (session, place):
        logins.import_csv(session, place, "\xff\xfe".encode("latin-1"))
