"""Scale tooling for the portal (issue 10): a data generator and a load-test harness.

Developer tooling only; nothing in ``portal/`` imports it and the test suite runs only a
small generator check (tests/test_benchmark_tools.py). See benchmarks/README.md.
"""
