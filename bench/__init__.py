"""Benchmarks of leabra_fast: asv suite (``asv run``) and ``python bench/compare.py``."""
