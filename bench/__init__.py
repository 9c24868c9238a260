"""On-demand benchmarks: ``python -m bench --help``. Never run by CI's tests."""
