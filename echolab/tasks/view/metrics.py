"""Video-level classification metrics (torchmetrics), and turning them into a plain report."""

from __future__ import annotations

import torch
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    MulticlassAccuracy,
    MulticlassConfusionMatrix,
    MulticlassF1Score,
    MulticlassPrecision,
    MulticlassRecall,
)


def summary_metrics(num_classes: int, **options) -> MetricCollection:
    """The scalars logged every validation epoch (`options`: torchmetrics' own, e.g. sync_on_compute)."""
    return MetricCollection(
        {
            "acc": MulticlassAccuracy(num_classes, average="micro", **options),
            "macro_f1": MulticlassF1Score(num_classes, average="macro", **options),
            "macro_precision": MulticlassPrecision(num_classes, average="macro", **options),
            "macro_recall": MulticlassRecall(num_classes, average="macro", **options),
            "micro_f1": MulticlassF1Score(num_classes, average="micro", **options),
        }
    )


def detail_metrics(num_classes: int, **options) -> MetricCollection:
    """Per-class metrics and the confusion matrix, for reports and plots."""
    return MetricCollection(
        {
            "f1": MulticlassF1Score(num_classes, average=None, **options),
            "precision": MulticlassPrecision(num_classes, average=None, **options),
            "recall": MulticlassRecall(num_classes, average=None, **options),
            "confusion": MulticlassConfusionMatrix(num_classes, **options),
        }
    )


def of_videos(
    metrics: MetricCollection, probs: torch.Tensor, labels: torch.Tensor
) -> dict[str, torch.Tensor]:
    """`metrics` of these videos' fused probabilities, computed here and now."""
    metrics.update(probs, labels)
    return metrics.compute()


def report(summary: dict[str, torch.Tensor], detail: dict[str, torch.Tensor], classes: list[str]) -> dict:
    """A JSON-ready report: scalars, a per-class table and the confusion matrix (rows = truth)."""
    out = {name: float(value) for name, value in summary.items()}
    out["per_class"] = {
        cls: {metric: float(detail[metric][i]) for metric in ("f1", "precision", "recall")}
        | {"support": int(detail["confusion"][i].sum())}
        for i, cls in enumerate(classes)
    }
    out["confusion_matrix"] = detail["confusion"].int().tolist()
    return out
