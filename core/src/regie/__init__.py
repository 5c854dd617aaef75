"""Régie: collect money for local establishments, one plugin per trade."""

__version__ = "0.1.0"
