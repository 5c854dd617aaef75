"""Family portal, meal accounts, meal reservations."""
