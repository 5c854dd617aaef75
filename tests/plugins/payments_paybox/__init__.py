"""Tests of the payments_paybox plugin."""
