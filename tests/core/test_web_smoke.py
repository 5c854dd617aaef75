def test_signed_in_member_sees_enabled_module_and_not_disabled_one(
        client, make_establishment, make_user):
    school = make_establishment(slug="ecole-jaures", name="École Jaurès", plugins=["markets"])
    user = make_user(roles={school: ["manager"]})
    assert client.sign_in(user.username, "correct horse battery staple").status_code == 302
    home = client.get("/ecole-jaures/")
    assert home.status_code == 200
    assert "École Jaurès" in home.get_data(as_text=True)
    assert "/ecole-jaures/markets/" in home.get_data(as_text=True)
    assert client.get("/ecole-jaures/markets/").status_code == 200
    assert client.get("/ecole-jaures/coop/").status_code == 404
