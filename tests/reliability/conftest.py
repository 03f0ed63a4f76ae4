"""The reliability tests' figures are collected in tests/reliability/support.py; the root
conftest prints them (an xdist controller never loads this file)."""
