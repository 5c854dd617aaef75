"""Background work on Huey: the queue, scheduled tasks fanned out per establishment, locks."""
