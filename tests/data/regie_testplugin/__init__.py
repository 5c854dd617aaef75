"""Notes: a test plugin with a table, its own migration history, a role, a page and an install
hook."""
