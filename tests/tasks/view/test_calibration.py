"""Expected calibration error and the AUROC of uncertainty for spotting wrong predictions."""

import pytest
import torch

from echolab.errors import ConfigError
from echolab.tasks.view.calibration import (
    error_detection_auroc,
    expected_calibration_error,
    uncertainty_report,
)


def test_ece_by_hand():
    # Two bins of two videos: confidences 0.9 (one right, one wrong) and 0.6 (both right).
    probs = torch.tensor([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.4, 0.6]])
    labels = torch.tensor([0, 1, 0, 1])
    expected = 0.5 * abs(0.5 - 0.9) + 0.5 * abs(1.0 - 0.6)
    assert expected_calibration_error(probs, labels, bins=10) == pytest.approx(expected)


def test_perfectly_calibrated_confident_predictions_have_zero_ece():
    probs = torch.eye(3)
    assert expected_calibration_error(probs, torch.arange(3)) == pytest.approx(0.0)


def test_ece_needs_a_bin():
    with pytest.raises(ConfigError, match="calibration_bins"):
        expected_calibration_error(torch.eye(2), torch.arange(2), bins=0)


def test_auroc_ranks_wrong_predictions_by_uncertainty():
    correct = torch.tensor([True, True, False, False])
    assert error_detection_auroc(torch.tensor([0.1, 0.2, 0.8, 0.9]), correct) == pytest.approx(1.0)
    assert error_detection_auroc(torch.tensor([0.9, 0.8, 0.2, 0.1]), correct) == pytest.approx(0.0)
    assert error_detection_auroc(torch.tensor([0.1, 0.8, 0.2, 0.9]), correct) == pytest.approx(0.75)


def test_auroc_is_none_when_nothing_is_wrong():
    assert error_detection_auroc(torch.rand(5), torch.ones(5, dtype=torch.bool)) is None


def test_report_holds_every_entry():
    probs = torch.tensor([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    out = uncertainty_report(probs, torch.tensor([0.1, 0.2, 0.7]), torch.tensor([0, 1, 1]))
    assert set(out) == {"ece", "uncertainty_auroc", "mean_uncertainty", "mean_uncertainty_wrong"}
    assert out["uncertainty_auroc"] == pytest.approx(1.0)
    assert out["mean_uncertainty_wrong"] == pytest.approx(0.7)


def test_ece_is_torchmetrics_with_a_bin_of_its_own_for_confidence_one():
    # A confident wrong video (confidence exactly 1) and a right one at 0.94 share the top bin
    # (14/15, 1] of a hand-written ECE (|0.5 - 0.97| = 0.47); torchmetrics bins [b/n, (b+1)/n)
    # and gives a confidence of 1 its own bin: 0.5 * |0 - 1| + 0.5 * |1 - 0.94| = 0.53.
    probs = torch.tensor([[1.0, 0.0], [0.94, 0.06]])
    labels = torch.tensor([1, 0])
    assert expected_calibration_error(probs, labels, bins=15) == pytest.approx(0.53)
