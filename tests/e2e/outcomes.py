"""What two runs must agree on to count as the same run: every number of metrics.json and metrics.csv."""

import json
from pathlib import Path

# metrics.json keys that name where and how long, not what was learned
CIRCUMSTANCES = ("checkpoint", "seconds", "fit_cpu_seconds")


def numbers(run_dir: Path) -> dict:
    """metrics.json without the run's own checkpoint path and wall time."""
    metrics = json.loads((run_dir / "metrics.json").read_text())
    return {key: value for key, value in metrics.items() if key not in CIRCUMSTANCES}


def logged(run_dir: Path) -> str:
    """Every logged value, step by step (csv/metrics.csv)."""
    return (run_dir / "csv" / "metrics.csv").read_text()
