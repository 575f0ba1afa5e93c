"""Rotadesk's benchmarks: ``python -m bench rotation|intake|link|all``. Figures go to docs/benchmarks.md."""
