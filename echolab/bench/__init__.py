"""Benchmarks behind `echolab bench`."""
