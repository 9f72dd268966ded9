"""Statistics of test results: bootstrap intervals over test videos and paired differences between
systems (bootstrap.py, for any task's per-video rows), and a run's per-video scores with the intervals
its metrics.json records (run_scores.py)."""
