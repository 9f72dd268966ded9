"""How trustworthy a classifier's probabilities and uncertainties are, per video.

ece:               expected calibration error (torchmetrics' `multiclass_calibration_error`, L1). Videos
                   are binned by confidence (top probability) into equal-width bins [b/n, (b+1)/n), with a
                   confidence of exactly 1 in a bin of its own; ECE = Σ_bins (n_bin / n) · |accuracy_bin −
                   mean confidence_bin|.
uncertainty_auroc: AUROC of the uncertainty as a score for "this prediction is wrong" (1: every wrong
                   prediction is more uncertain than every right one; 0.5: no better than chance).
                   None when every prediction is right, or every one wrong: there is nothing to rank.
"""

from __future__ import annotations

import torch
from torchmetrics.functional.classification import binary_auroc, multiclass_calibration_error

from echolab.errors import ConfigError


def expected_calibration_error(probs: torch.Tensor, labels: torch.Tensor, bins: int = 15) -> float:
    """ECE of (N, K) probabilities against (N,) labels with `bins` equal-width confidence bins."""
    if bins < 1:
        raise ConfigError(f"task.calibration_bins must be >= 1, got {bins}")
    return float(
        multiclass_calibration_error(
            probs.float(), labels, num_classes=probs.shape[-1], n_bins=bins, norm="l1", validate_args=False
        )
    )


def error_detection_auroc(uncertainty: torch.Tensor, correct: torch.Tensor) -> float | None:
    """AUROC of `uncertainty` for telling wrong predictions (positives) from right ones."""
    wrong = (~correct.bool()).long()
    if wrong.min() == wrong.max():
        return None
    return float(binary_auroc(uncertainty.float(), wrong, validate_args=False))


def uncertainty_report(
    probs: torch.Tensor, uncertainty: torch.Tensor, labels: torch.Tensor, bins: int = 15
) -> dict:
    """The calibration entries of metrics.json for one split."""
    correct = probs.argmax(-1) == labels
    return {
        "ece": expected_calibration_error(probs, labels, bins),
        "uncertainty_auroc": error_detection_auroc(uncertainty, correct),
        "mean_uncertainty": float(uncertainty.float().mean()),
        "mean_uncertainty_wrong": float(uncertainty[~correct].mean()) if (~correct).any() else None,
    }
