"""The linear probe: weight decay chosen on validation, standardised features, EF by ridge."""

import numpy as np
import pytest

from echolab.probe.linear import linear_probe


def _train():
    # class 1 (the majority) where x > 0; a second, constant feature the standardisation must cope with
    x = np.array([-3.0, -2.0, -1.5, -1.0, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5])
    return np.stack([x, np.ones_like(x)], axis=1), (x > 0).astype(int)


def test_the_weight_decay_is_the_one_that_scores_best_on_validation():
    train = _train()
    decays = [1e-3, 1e3]  # a free fit vs weights squeezed to ~0 (every video gets the majority class)
    agreeing = (np.array([[-2.0, 1.0], [2.0, 1.0]]), np.array([0, 1]))
    chosen = linear_probe(train, agreeing, agreeing[0], weight_decays=decays, classification=True)
    assert chosen.weight_decay == 1e-3 and chosen.test_predicted.tolist() == [0, 1]
    assert chosen.val_scores[1e-3] == 1.0 > chosen.val_scores[1e3]
    # validation videos of the majority class that a free fit would call class 0: the strong decay wins
    contrary = (np.array([[-2.0, 1.0], [-2.5, 1.0]]), np.array([1, 1]))
    chosen = linear_probe(train, contrary, agreeing[0], weight_decays=decays, classification=True)
    assert chosen.weight_decay == 1e3 and chosen.test_predicted.tolist() == [1, 1]
    assert chosen.converged


def test_equal_validation_scores_go_to_the_stronger_decay():
    train = _train()
    val = (np.array([[-2.0, 1.0], [2.0, 1.0]]), np.array([0, 1]))
    chosen = linear_probe(train, val, val[0], weight_decays=[1e-4, 1e-3], classification=True)
    assert chosen.val_scores[1e-4] == chosen.val_scores[1e-3] and chosen.weight_decay == 1e-3


def test_ef_regression_by_ridge_recovers_a_linear_relation():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)) * [1.0, 100.0, 0.01]  # scales that only standardisation makes fair
    ef = 50 + 10 * x[:, 0] + 0.1 * x[:, 1]
    result = linear_probe(
        (x[:30], ef[:30]), (x[30:], ef[30:]), x[30:], weight_decays=[1e-4, 10.0], classification=False
    )
    assert result.weight_decay == 1e-4 and result.val_scores[1e-4] > 0.999
    assert result.test_predicted == pytest.approx(ef[30:], abs=0.1)


def test_no_weight_decay_to_choose_from_is_refused():
    with pytest.raises(ValueError, match="positive weight decays"):
        linear_probe(_train(), _train(), _train()[0], weight_decays=[], classification=True)


def test_a_feature_almost_constant_in_training_cannot_blow_up_a_prediction():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(30, 2))
    x[:, 1] = 1e-6 * rng.normal(size=30)  # a pixel that is black in every training video ...
    ef = 50 + 10 * x[:, 0]
    val = np.array([[0.5, 0.2], [-0.5, 0.0]])  # ... and not quite in one validation video
    result = linear_probe(
        (x, ef), (val, 50 + 10 * val[:, 0]), val, weight_decays=[1e-3], classification=False
    )
    assert result.test_predicted == pytest.approx([55.0, 45.0], abs=2.0)
