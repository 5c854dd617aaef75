"""Member accounts, orders and distributions of a producers' co-op."""
