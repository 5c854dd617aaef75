"""Benchmarks: each workload runs beside a minimal baseline doing the same essential work, in the
same run, and prints the ratio (``python -m benchmarks NAME``; see :mod:`benchmarks.workloads`).
"""
