"""Cashier desks taking utility bill payments."""
