"""Reproducible benchmarks: `python -m bench ingest|query|answer|app|all [--quick]` (see docs/performance.md)."""
