"""The progress page of a long job: live while it runs, still once it has finished."""

from __future__ import annotations

import pytest

from regie.services import jobs


@pytest.fixture(autouse=True)
def english(client):
    with client.session_transaction() as session:
        session["lang"] = "en"


@pytest.fixture
def school(make_establishment):
    return make_establishment(slug="ecole")


def start_job(regie_runtime, establishment, user, done=30, total=120):
    job_id = jobs.create(regie_runtime.db, "demo.import", label="Import of families",
                         establishment_id=establishment.id if establishment else None,
                         user_id=user.id, total=total)
    progress = jobs.Progress(regie_runtime.db, job_id)
    progress.start(total=total, message="Reading the file")
    progress.advance(done, message=f"Family {done} of {total}")
    return job_id, progress


def test_running_job_page_polls_until_finished(signed_in, make_user, school, regie_runtime):
    user = make_user(roles={school: ["auditor"]})
    client = signed_in(user)
    job_id, progress = start_job(regie_runtime, school, user)
    url = f"/ecole/jobs/{job_id}"

    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Import of families" in html and "Family 30 of 120" in html
    assert '<progress max="100" value="25"' in html
    assert f'hx-get="{url}"' in html and 'hx-trigger="every 2s"' in html
    assert '<meta http-equiv="refresh"' in html, "refreshes itself without JavaScript"
    assert "/static/vendor/htmx/htmx.min.js" in html

    progress.advance(90, message="Family 90 of 120")
    fragment = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith("<div id=\"job-progress\""), "only the live part"
    assert "Family 90 of 120" in fragment and 'value="75"' in fragment

    progress.succeed("120 families imported", result={"url": "/ecole/"})
    done = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-trigger" not in done, "polling stops"
    assert "Finished" in done and "120 families imported" in done
    assert 'href="/ecole/"' in done
    assert '<meta http-equiv="refresh"' not in client.get(url).get_data(as_text=True)


def test_failed_job_says_so(signed_in, make_user, school, regie_runtime):
    user = make_user(roles={school: ["auditor"]})
    client = signed_in(user)
    job_id, progress = start_job(regie_runtime, school, user)
    progress.fail("line 31: unknown pupil")
    html = client.get(f"/ecole/jobs/{job_id}").get_data(as_text=True)
    assert "Failed" in html and "line 31: unknown pupil" in html
    assert "hx-trigger" not in html


def test_jobs_of_others_and_of_other_establishments_are_hidden(
        signed_in, make_user, make_establishment, school, regie_runtime):
    other = make_establishment(slug="other")
    owner = make_user(roles={school: ["auditor"], other: ["auditor"]})
    theirs, _progress = start_job(regie_runtime, other, owner)
    mine_elsewhere, _progress = start_job(regie_runtime, school, owner)

    colleague = signed_in(make_user(roles={school: ["auditor"]}))
    assert colleague.get(f"/ecole/jobs/{mine_elsewhere}").status_code == 404, "not theirs"
    assert colleague.get(f"/ecole/jobs/{theirs}").status_code == 404
    assert colleague.get(f"/other/jobs/{theirs}").status_code == 404
    assert colleague.get("/ecole/jobs/999").status_code == 404


def test_establishment_administrators_and_superusers_follow_every_job(
        client, make_user, school, regie_runtime):
    owner = make_user(roles={school: ["auditor"]})
    job_id, _progress = start_job(regie_runtime, school, owner)
    client.sign_in(make_user(roles={school: ["manager"]}).username,
                   "correct horse battery staple")
    assert client.get(f"/ecole/jobs/{job_id}").status_code == 200
    client.submit("/", {}, action="/logout")

    client.sign_in(make_user(superuser=True).username, "correct horse battery staple")
    platform_job, _progress = start_job(regie_runtime, None, owner)
    page = client.get(f"/admin/jobs/{platform_job}")
    assert page.status_code == 200 and "Family 30 of 120" in page.get_data(as_text=True)
    assert client.get("/admin/jobs/999").status_code == 404
