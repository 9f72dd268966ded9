"""Video-level classification metrics (torchmetrics), and turning them into a plain report."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    MulticlassAccuracy,
    MulticlassConfusionMatrix,
    MulticlassF1Score,
    MulticlassPrecision,
    MulticlassRecall,
)
from torchmetrics.functional.classification import (
    multiclass_accuracy,
    multiclass_f1_score,
    multiclass_precision,
    multiclass_recall,
)

from echolab.tasks.view.calibration import uncertainty_report


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


def video_scores(
    rows: Sequence[dict], classes: list[str], calibration_bins: int = 15
) -> dict[str, float | None]:
    """The headline test metrics of the videos in `rows` (each {"label", "probs", "uncertainty"}), by the
    same torchmetrics functions as the epoch metrics above: accuracy, macro precision/recall/F1, each
    class's F1 (`per_class.<class>.f1`), ECE and uncertainty AUROC. Bootstrap intervals and compare's
    paired differences recompute them on resampled videos (echolab/stats/)."""
    probs = torch.tensor([row["probs"] for row in rows], dtype=torch.float32)
    labels = torch.tensor([row["label"] for row in rows])
    uncertainty = torch.tensor([row["uncertainty"] for row in rows], dtype=torch.float32)
    k = len(classes)
    f1 = multiclass_f1_score(probs, labels, k, average=None, validate_args=False)
    scores = {
        "acc": multiclass_accuracy(probs, labels, k, average="micro", validate_args=False),
        "macro_f1": multiclass_f1_score(probs, labels, k, average="macro", validate_args=False),
        "macro_precision": multiclass_precision(probs, labels, k, average="macro", validate_args=False),
        "macro_recall": multiclass_recall(probs, labels, k, average="macro", validate_args=False),
    } | {f"per_class.{name}.f1": f1[i] for i, name in enumerate(classes)}
    calibration = uncertainty_report(probs, uncertainty, labels, calibration_bins)
    return {name: float(value) for name, value in scores.items()} | {
        "ece": calibration["ece"],
        "uncertainty_auroc": calibration["uncertainty_auroc"],
    }
