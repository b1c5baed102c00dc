"""Smoke tests of the benchmarks (tiny sizes) and unit tests of their helpers."""
