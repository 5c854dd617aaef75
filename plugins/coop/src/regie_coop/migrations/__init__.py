"""Revisions of the coop history (branch label ``coop``)."""
