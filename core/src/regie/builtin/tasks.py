"""The core's scheduled tasks."""

from regie.api import ScheduledTask, hookimpl


@hookimpl
def regie_scheduled_tasks():
    return [
        ScheduledTask("core.purge_jobs", "regie.services.jobs:purge_finished", "17 3 * * *",
                      "Forget finished jobs older than 90 days.", per_establishment=False),
        ScheduledTask("core.mail_outbox", "regie.services.mail.outbox:send_queue", "* * * * *",
                      "Send the mail outbox: due messages and retries.", per_establishment=False),
        ScheduledTask("core.mail_purge", "regie.services.mail.outbox:purge", "41 3 * * *",
                      "Forget sent mails older than 180 days that are not archived.",
                      per_establishment=False),
        ScheduledTask("core.sync_pickup", "regie.services.sync:pickup", "*/5 * * * *",
                      "Import the files waiting in the establishment's sync pickup folders."),
        ScheduledTask("core.payments_replay",
                      "regie.services.payments_notifications:apply_received_task",
                      "*/10 * * * *", "Apply the payment notifications that were stored but "
                      "failed to apply when they came."),
        ScheduledTask("core.ledger_verify", "regie.services.ledger:verify_task", "23 2 * * *",
                      "Recompute every balance and the hash chain of the ledger; a broken "
                      "ledger fails the run, naming the first broken entry."),
    ]
