"""A run's per-video test scores: `<run>/video_scores.json`, and the bootstrap intervals metrics.json
records for its test metrics (`test.intervals`, nested like the metrics: `test.per_class.A4C.f1` has its
interval at `test.intervals.per_class.A4C.f1`).

video_scores.json holds the task's name, the settings of its scoring function (tasks/registry.py
`scores`, e.g. the class names) and one row per test video, so `echolab compare` and `echolab report`
can recompute any headline test metric on resampled videos from the run folder alone.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

from echolab.atomic import write_text_atomic
from echolab.errors import ConfigError
from echolab.stats.bootstrap import LEVEL, RESAMPLES, SEED, MetricsFn, bootstrap_intervals

SCORES_FILE = "video_scores.json"


def bootstrap_resamples(task: dict) -> int:
    """`task.bootstrap`: resamples behind each interval (0: no intervals); checked before anything trains."""
    resamples = task.get("bootstrap", RESAMPLES)  # experiments stored in checkpoints before the key existed
    if not isinstance(resamples, int) or isinstance(resamples, bool) or resamples < 0:
        raise ConfigError(
            f"task.bootstrap must be a whole number of resamples (1000 is usual; 0 turns the test "
            f"metrics' intervals off), got {resamples!r}"
        )
    return resamples


def record_test_scores(run_dir: Path, task_name: str, scored: dict | None, resamples: int) -> dict:
    """Write video_scores.json from a module's `test_scores()` and return what metrics.json's test block
    gains: `intervals` and how they were made (`bootstrap`); nothing for a task without per-video scores."""
    if scored is None:
        return {}
    write_text_atomic(run_dir / SCORES_FILE, json.dumps({"task": task_name, **scored}) + "\n")
    if resamples == 0:
        return {}
    scores = scorer({"task": task_name, **scored})
    intervals = bootstrap_intervals(scored["videos"], scores, resamples=resamples, seed=SEED, level=LEVEL)
    return {
        "intervals": nest(intervals),
        "bootstrap": {
            "method": "percentile interval, test videos resampled with replacement",
            "level": LEVEL,
            "resamples": resamples,
            "seed": SEED,
            "videos": len(scored["videos"]),
        },
    }


def load_video_scores(run_dir: Path) -> dict:
    """A run folder's video_scores.json: {"task", "settings", "videos"}."""
    path = Path(run_dir) / SCORES_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: the run predates per-video scores, or its test pass failed"
        )
    return json.loads(path.read_text())


def scorer(saved: dict) -> MetricsFn:
    """The function that turns rows like `saved["videos"]` into the task's headline metrics."""
    from echolab.tasks.registry import task_entry

    return partial(task_entry(saved["task"]).scores, **saved["settings"])


def read_test_scores(run_dir: Path) -> tuple[list[dict], MetricsFn]:
    """A run folder's per-video test rows and the function that turns rows into its headline metrics."""
    saved = load_video_scores(run_dir)
    return saved["videos"], scorer(saved)


def nest(flat: dict) -> dict:
    """{"per_class.A4C.f1": x} -> {"per_class": {"A4C": {"f1": x}}}: paths as in metrics.json."""
    tree: dict = {}
    for dotted, value in flat.items():
        *parents, leaf = dotted.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree
