"""Bootstrap confidence intervals over test videos: of one run's metrics, and of the difference
between two systems tested on the same videos.

Every function takes per-video rows (one dict per test video, as the tasks gather them) and a
`metrics_fn(rows) -> {name: value}` that computes a task's metrics from any list of such rows (a value
may be None where the metric is undefined, e.g. the AUROC of a set with no wrong prediction). A
resample draws as many videos as the test set holds, with replacement, and recomputes every metric on
them; the interval is the percentile interval of those values. Resamples where a metric is undefined are
left out of its interval. The draws come from a fixed seed, so the same rows always give the same
intervals.

Why not torchmetrics' `BootStrapper`: it resamples inside each `update` call (one batch at a time, with
Poisson counts by default), not the test set as a whole; it draws from torch's global random state (no
seed of its own); it keeps one copy of the metric per resample; and it has no paired form. Resampling
the rows is the textbook bootstrap over videos, seeded, shares one draw between the systems it pairs,
and serves any metric a task computes from rows (AFD, detection rate, kNN accuracy), not only
torchmetrics `Metric`s.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import numpy as np
import torch

MetricsFn = Callable[[Sequence[dict]], Mapping[str, float | None]]

RESAMPLES = 1000
SEED = 0
LEVEL = 0.95


def resample_indices(videos: int, resamples: int = RESAMPLES, seed: int = SEED) -> np.ndarray:
    """(resamples, videos) indices into the rows: each line one bootstrap sample, drawn with replacement."""
    return np.random.default_rng(seed).integers(0, videos, size=(resamples, videos))


def bootstrap_intervals(
    rows: Sequence[dict],
    metrics_fn: MetricsFn,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    level: float = LEVEL,
) -> dict[str, list[float] | None]:
    """{name: [low, high]} for every metric `metrics_fn(rows)` gives; None where no resample defines it.
    No intervals ({}) for 0 resamples or no rows."""
    _check(resamples, level)
    if resamples == 0 or not rows:
        return {}
    with one_thread():
        names = list(metrics_fn(rows))
        values = {name: np.full(resamples, np.nan) for name in names}
        for line, picked in enumerate(resample_indices(len(rows), resamples, seed)):
            scores = metrics_fn([rows[i] for i in picked])
            for name in names:
                values[name][line] = _number(scores.get(name))
    return {name: percentile_interval(values[name], level) for name in names}


def paired_differences(
    system: Sequence[Sequence[dict]],
    reference: Sequence[Sequence[dict]],
    metrics_fn: MetricsFn,
    *,
    key: str = "video",
    resamples: int = RESAMPLES,
    seed: int = SEED,
    level: float = LEVEL,
) -> dict[str, dict]:
    """How much `system` differs from `reference` on each metric, with its interval.

    `system` and `reference` hold one list of rows per run (e.g. per training seed), every run tested on
    the same videos (rows are matched by `key`). The difference is the mean over a system's runs minus
    the mean over the reference's runs; each resample draws one set of videos and scores every run of
    both on it (paired: a hard video weighs on both sides at once), so the interval reflects which
    videos happened to be in the test set, with the training seeds averaged as in the difference.
    Returns {name: {"difference": d, "interval": [low, high] or None}}.
    """
    _check(resamples, level)
    runs = [list(r) for r in (*system, *reference)]
    if not system or not reference:
        raise ValueError("paired_differences needs at least one run of each system")
    order = _common_videos(runs, key)
    aligned = [
        [by_key[name] for name in order] for by_key in ({row[key]: row for row in run} for run in runs)
    ]
    split = len(system)

    def difference(picked: Sequence[int]) -> dict[str, float]:
        scores = [metrics_fn([run[i] for i in picked]) for run in aligned]
        names = scores[0].keys()
        return {name: _mean(scores[:split], name) - _mean(scores[split:], name) for name in names}

    with one_thread():
        point = difference(range(len(order)))
        values = {name: np.full(resamples, np.nan) for name in point}
        for line, picked in enumerate(resample_indices(len(order), resamples, seed)):
            for name, value in difference(picked).items():
                values[name][line] = value
    return {
        name: {
            "difference": None if math.isnan(point[name]) else point[name],
            "interval": percentile_interval(values[name], level),
        }
        for name in point
    }


def percentile_interval(values: np.ndarray, level: float = LEVEL) -> list[float] | None:
    """The central `level` share of the finite `values` ([2.5th, 97.5th] percentile at 0.95)."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return None
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return [float(low), float(high)]


@contextmanager
def one_thread() -> Iterator[None]:
    """Torch on one thread meanwhile. A test set's metrics are tiny tensor operations, on which waking
    torch's thread pool costs more than it saves: a max over 72 x 9 probabilities took 12 ms with 2
    threads on a busy 2-core machine and 6 us with one."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _common_videos(runs: list[list[dict]], key: str) -> list:
    """The videos every run was tested on, in one order; an error when the runs' test sets differ."""
    sets = [{row[key] for row in run} for run in runs]
    if any(len(s) != len(run) for s, run in zip(sets, runs, strict=True)):
        raise ValueError(f"a run lists a video twice (rows are matched by '{key}')")
    if any(s != sets[0] for s in sets):
        raise ValueError(
            "the runs were tested on different videos: a paired difference needs the same test set"
        )
    return sorted(sets[0])


def _mean(scores: list[Mapping], name: str) -> float:
    values = [_number(s.get(name)) for s in scores]
    return float(np.mean(values))  # NaN when any run leaves the metric undefined


def _number(value) -> float:
    return math.nan if value is None else float(value)


def _check(resamples: int, level: float) -> None:
    if not isinstance(resamples, int) or isinstance(resamples, bool) or resamples < 0:
        raise ValueError(f"resamples must be a whole number >= 0, got {resamples!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie between 0 and 1, got {level!r}")
