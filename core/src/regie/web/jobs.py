"""The progress page of a long job, refreshed live until the job has finished.

With JavaScript, htmx polls the progress fragment; without, the page refreshes itself.
"""

from __future__ import annotations

from flask import render_template, request

from regie.db.models import Job

#: Seconds between two looks at a running job.
POLL_SECONDS = 2


def render_job(job: Job, back_url: str):
    finished = job.state in ("succeeded", "failed")
    context = {"job": job, "finished": finished, "poll_seconds": POLL_SECONDS,
               "back_url": back_url, "result_url": _result_url(job)}
    if request.headers.get("HX-Request"):
        return render_template("jobs/_progress.html", **context)
    return render_template("jobs/job.html", **context)


def _result_url(job: Job) -> str | None:
    """A job may name a page of this site showing its result (``result["url"]``)."""
    url = (job.result or {}).get("url")
    if isinstance(url, str) and url.startswith("/") and not url.startswith("//"):
        return url
    return None
