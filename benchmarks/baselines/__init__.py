"""Minimal apps doing a workload's essential work, the yardstick Régie is measured against."""
