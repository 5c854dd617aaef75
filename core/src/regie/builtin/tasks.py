"""The core's scheduled tasks."""

from regie.api import ScheduledTask, hookimpl


@hookimpl
def regie_scheduled_tasks():
    return [
        ScheduledTask("core.purge_jobs", "regie.services.jobs:purge_finished", "17 3 * * *",
                      "Forget finished jobs older than 90 days.", per_establishment=False),
    ]
