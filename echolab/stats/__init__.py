"""Statistics of test results: bootstrap intervals over test videos (bootstrap.py)."""
