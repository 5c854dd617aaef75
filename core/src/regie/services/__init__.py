"""Core services: the only code that changes core state. Each takes an explicit session."""
