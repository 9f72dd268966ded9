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


def summary_metrics(num_classes: int) -> MetricCollection:
    """The scalars logged every validation epoch."""
    return MetricCollection(
        {
            "acc": MulticlassAccuracy(num_classes, average="micro"),
            "macro_f1": MulticlassF1Score(num_classes, average="macro"),
            "macro_precision": MulticlassPrecision(num_classes, average="macro"),
            "macro_recall": MulticlassRecall(num_classes, average="macro"),
            "micro_f1": MulticlassF1Score(num_classes, average="micro"),
        }
    )


def detail_metrics(num_classes: int) -> MetricCollection:
    """Per-class metrics and the confusion matrix, for reports and plots."""
    return MetricCollection(
        {
            "f1": MulticlassF1Score(num_classes, average=None),
            "precision": MulticlassPrecision(num_classes, average=None),
            "recall": MulticlassRecall(num_classes, average=None),
            "confusion": MulticlassConfusionMatrix(num_classes),
        }
    )


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
