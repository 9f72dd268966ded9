"""Weighted kNN: the votes, ties, a k larger than the bank, and the validation-bank variant."""

import numpy as np
import pytest

from echolab.probe.knn import knn_predict
from echolab.probe.protocol import run_protocol
from echolab.probe.targets import Target


def _unit(degrees: list[float]) -> np.ndarray:
    angles = np.deg2rad(degrees)
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def test_votes_are_exp_similarity_over_temperature():
    bank = _unit([0, 60, 90])  # cosine with the query (0 degrees): 1, 0.5, 0
    labels = np.array([0, 1, 1])
    predicted, shares = knn_predict(bank, labels, _unit([0]), k=3, temperature=0.5, num_classes=2)
    votes = np.array([np.exp(1 / 0.5), np.exp(0.5 / 0.5) + np.exp(0 / 0.5)])
    assert shares[0] == pytest.approx(votes / votes.sum())
    assert predicted.tolist() == [0]  # one close neighbour outvotes two far ones at T = 0.5
    predicted, _ = knn_predict(bank, labels, _unit([0]), k=3, temperature=100.0, num_classes=2)
    assert predicted.tolist() == [1]  # at a high temperature every neighbour votes about alike


def test_only_the_k_nearest_vote_and_scale_does_not_matter():
    bank = np.concatenate([_unit([10, 20]), 50 * _unit([100, 110, 120])])  # cosine ignores length
    labels = np.array([0, 0, 1, 1, 1])
    predicted, shares = knn_predict(bank, labels, 3 * _unit([0]), k=2, temperature=0.07, num_classes=2)
    assert predicted.tolist() == [0] and shares[0].tolist() == [1.0, 0.0]


def test_a_tie_goes_to_the_lower_class_whatever_the_bank_order():
    bank = _unit([30, -30])  # equally similar to the query
    for labels in ([0, 1], [1, 0]):
        predicted, shares = knn_predict(
            bank, np.array(labels), _unit([0]), k=2, temperature=0.07, num_classes=2
        )
        assert predicted.tolist() == [0] and shares[0] == pytest.approx([0.5, 0.5])


def test_k_beyond_the_bank_uses_the_whole_bank():
    bank, labels, queries = _unit([0, 40, 80, 120]), np.array([0, 1, 1, 2]), _unit([5, 100, 170])
    whole = knn_predict(bank, labels, queries, k=4, temperature=0.07, num_classes=3)
    beyond = knn_predict(bank, labels, queries, k=50, temperature=0.07, num_classes=3)
    assert np.array_equal(whole[0], beyond[0]) and np.allclose(whole[1], beyond[1])


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="k >= 1"):
        knn_predict(_unit([0]), np.array([0]), _unit([0]), k=0, temperature=0.07, num_classes=1)
    with pytest.raises(ValueError, match="non-empty bank"):
        knn_predict(
            np.zeros((0, 2)), np.array([], dtype=int), _unit([0]), k=1, temperature=0.07, num_classes=1
        )


def test_the_validation_bank_variant_votes_with_validation_videos():
    """Train and validation banks that disagree: each variant answers with its own bank."""
    target = Target("view", ["a", "b"])
    features = {
        "train": _unit([0, 5, 90, 95]),
        "val": _unit([0, 5, 90, 95]),
        "test": _unit([2, 92]),
    }
    values = {"train": np.array([0, 0, 1, 1]), "val": np.array([1, 1, 0, 0]), "test": np.array([0, 1])}
    outcome = run_protocol(features, values, target, ks=[2], temperature=0.07, weight_decays=[1.0])
    assert outcome.predictions["knn2"].tolist() == [0, 1]
    assert outcome.predictions["knn2_val_bank"].tolist() == [1, 0]
    knn = outcome.report["knn"]
    assert knn["train_bank"]["k2"]["macro_f1"] == 1.0 and knn["val_bank"]["k2"]["macro_f1"] == 0.0
