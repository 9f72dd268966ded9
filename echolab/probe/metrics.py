"""The numbers a probe reports: per-video predictions against the truth."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    mean_absolute_error,
    r2_score,
)


def classification_metrics(truth: np.ndarray, predicted: np.ndarray, classes: list[str]) -> dict:
    """Accuracy, balanced accuracy (mean recall over classes), macro-F1, F1 of each class, and the
    confusion matrix (rows = truth)."""
    labels = list(range(len(classes)))
    per_class = f1_score(truth, predicted, labels=labels, average=None, zero_division=0.0)
    confusion = confusion_matrix(truth, predicted, labels=labels)
    present = confusion.sum(1) > 0
    return {
        "acc": float(accuracy_score(truth, predicted)),
        # the mean recall of the classes the truth holds
        "balanced_acc": float(np.mean(np.diag(confusion)[present] / confusion.sum(1)[present])),
        "macro_f1": macro_f1(confusion),
        "per_class_f1": {name: float(value) for name, value in zip(classes, per_class, strict=True)},
        "confusion_matrix": confusion.tolist(),
    }


def macro_f1(confusion: np.ndarray) -> float:
    """Macro-F1 of a confusion matrix (rows = truth), averaging the classes that occur in the truth or
    the predictions (scikit-learn's rule); a class in neither has F1 0 but is not averaged."""
    true_positive = np.diag(confusion).astype(float)
    wrong = confusion.sum(0) + confusion.sum(1) - 2 * true_positive  # false positives + false negatives
    occurs = (confusion.sum(0) + confusion.sum(1)) > 0
    f1 = np.divide(
        2 * true_positive, 2 * true_positive + wrong, out=np.zeros_like(true_positive), where=occurs
    )
    return float(np.mean(f1[occurs]))


def regression_metrics(truth: np.ndarray, predicted: np.ndarray) -> dict:
    """R², mean absolute error and root-mean-square error (in the target's unit: EF %)."""
    return {
        "r2": float(r2_score(truth, predicted)),
        "mae": float(mean_absolute_error(truth, predicted)),
        "rmse": float(np.sqrt(np.mean((np.asarray(truth) - np.asarray(predicted)) ** 2))),
    }
