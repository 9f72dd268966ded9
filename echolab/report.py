"""`echolab report FOLDER`: a Markdown table regenerated from run folders, so the tables in the docs
are never typed by hand (`echolab report runs/compare/<suite>/<stamp> > docs/results-views.md`).

FOLDER is an `echolab compare` folder (it holds table.json): the suite's table as its table.md holds
it, recomputed from the runs' metrics.json and video_scores.json; or a run folder (it holds
metrics.json): its test metrics, each with its 95 % interval where it has one.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from echolab.errors import ConfigError

LEFT_OUT = ("intervals", "bootstrap", "confusion_matrix")  # not metrics, or not one number


def main(words: list[str]) -> int:
    if len(words) != 1:
        raise ConfigError("`echolab report` takes one folder: a run folder or an `echolab compare` folder")
    print(report(Path(words[0])))
    return 0


def report(folder: Path) -> str:
    if (folder / "table.json").is_file():
        return compare_report(folder)
    if (folder / "metrics.json").is_file():
        return run_report(folder)
    raise ConfigError(
        f"{folder} holds neither table.json (an `echolab compare` folder) nor metrics.json (a run folder)"
    )


def compare_report(folder: Path) -> str:
    from echolab.compare.paired import paired_table
    from echolab.compare.runner import read_table
    from echolab.compare.table import render

    suite, rows, meta = read_table(folder)
    return render(suite, rows, meta, paired_table(suite, rows))


def run_report(folder: Path) -> str:
    metrics = json.loads((folder / "metrics.json").read_text())
    test = metrics["test"]
    intervals = test.get("intervals", {})
    bootstrap = test.get("bootstrap")
    how = (
        f"{bootstrap['level']:.0%} intervals: {bootstrap['method']} ({bootstrap['resamples']} resamples "
        f"of {bootstrap['videos']} videos, seed {bootstrap['seed']})"
        if bootstrap
        else "no intervals (task.bootstrap=0, or a run from before they existed)"
    )
    facts = {
        "Run folder": f"`{folder}`",
        "Checkpoint": f"`{metrics.get('checkpoint')}`",
        "Epochs": metrics.get("epochs"),
        "Stopped by": metrics.get("stopped_by"),
        "Fit CPU s": metrics.get("fit_cpu_seconds"),
        "Wall s": metrics.get("seconds"),
    }
    lines = [f"# Run {metrics.get('exp', folder.name)}", ""]
    lines += [f"{name}: {value}  " for name, value in facts.items() if value is not None]
    lines += [how, "", "| test metric | value | interval |", "|---|---|---|"]
    for name, value in _leaves(test):
        interval = _at(intervals, name)
        shown = f"[{interval[0]:.3f}, {interval[1]:.3f}]" if interval else ""
        lines.append(f"| {name} | {_number(value)} | {shown} |")
    return "\n".join([*lines, ""])


def _leaves(node: dict, prefix: str = ""):
    """(dotted name, value) of every number in a metrics block, in its order."""
    for key, value in node.items():
        if key in LEFT_OUT:
            continue
        if isinstance(value, dict):
            yield from _leaves(value, f"{prefix}{key}.")
        elif value is None or isinstance(value, int | float):
            yield f"{prefix}{key}", value


def _at(tree: dict, dotted: str):
    for part in dotted.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return None
        tree = tree[part]
    return tree


def _number(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return str(value) if isinstance(value, int) else f"{value:.3f}"
