"""Traders, placiers, tickets and invoicing of municipal markets."""
