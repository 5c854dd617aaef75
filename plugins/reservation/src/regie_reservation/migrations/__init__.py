"""Revisions of the reservation history (branch label ``reservation``)."""
