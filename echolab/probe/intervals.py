"""95 % bootstrap intervals of a probe run's headline numbers, resampling its test videos as every
training run's test metrics are (stats/bootstrap.py): the kNN and linear-probe scores of the headline
feature set, recomputed from its per-video test predictions (the columns of predictions.csv)."""

from __future__ import annotations

import numpy as np

from echolab.probe.metrics import macro_f1
from echolab.probe.targets import Target
from echolab.stats.bootstrap import LEVEL, SEED, bootstrap_intervals


def headline_columns(target: Target, k: int) -> dict[str, str]:
    """Headline metric -> the prediction column it is scored from (probe/protocol.py's names)."""
    if not target.is_classification:
        return {"linear_r2": "linear", "linear_mae": "linear"}
    return {
        f"knn{k}_macro_f1": f"knn{k}",
        f"knn{k}_val_bank_macro_f1": f"knn{k}_val_bank",
        "linear_macro_f1": "linear",
    }


def headline_intervals(
    truth: np.ndarray, predictions: dict[str, np.ndarray], target: Target, k: int, resamples: int
) -> dict:
    """{"intervals": {metric: [low, high]}, "bootstrap": how they were made}; {} for 0 resamples."""
    if resamples == 0:
        return {}
    columns = headline_columns(target, k)
    rows = [
        {"truth": truth[i], **{column: predictions[column][i] for column in set(columns.values())}}
        for i in range(len(truth))
    ]

    def scores(rows: list[dict]) -> dict[str, float | None]:
        true = np.array([row["truth"] for row in rows])
        return {
            metric: _score(metric, true, np.array([row[c] for row in rows]), target)
            for metric, c in columns.items()
        }

    return {
        "intervals": bootstrap_intervals(rows, scores, resamples=resamples, seed=SEED, level=LEVEL),
        "bootstrap": {
            "method": "percentile interval, test videos resampled with replacement",
            "level": LEVEL,
            "resamples": resamples,
            "seed": SEED,
            "videos": len(rows),
        },
    }


def _score(metric: str, truth: np.ndarray, predicted: np.ndarray, target: Target) -> float | None:
    if metric.endswith("macro_f1"):
        n = len(target.classes)
        confusion = np.bincount(truth.astype(int) * n + predicted.astype(int), minlength=n * n).reshape(n, n)
        return macro_f1(confusion)
    if metric == "linear_mae":
        return float(np.mean(np.abs(truth - predicted)))
    spread = np.sum((truth - truth.mean()) ** 2)  # R² is undefined on a resample of one EF value
    return float(1 - np.sum((truth - predicted) ** 2) / spread) if spread > 0 else None
