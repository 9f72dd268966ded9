"""Bootstrap intervals of a probe's headline numbers, and the one macro-F1 rule they and the reports use."""

import numpy as np
import pytest
from sklearn.metrics import f1_score

from echolab.probe.intervals import headline_intervals
from echolab.probe.metrics import classification_metrics
from echolab.probe.targets import Target

VIEWS = Target("view", ["A2C", "A3C", "A4C", "PLAX"])


@pytest.mark.parametrize("seed", range(5))
def test_macro_f1_is_scikit_learns_over_the_classes_that_occur(seed):
    rng = np.random.default_rng(seed)
    truth, predicted = rng.integers(0, 3, 40), rng.integers(0, 4, 40)  # class 3 only predicted
    expected = f1_score(truth, predicted, average="macro", zero_division=0.0)
    assert classification_metrics(truth, predicted, VIEWS.classes)["macro_f1"] == pytest.approx(expected)


def _predictions(videos: int, seed: int = 0) -> tuple[np.ndarray, dict]:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 4, videos)
    noisy = lambda p: np.where(rng.random(videos) < p, rng.integers(0, 4, videos), truth)  # noqa: E731
    return truth, {"knn5": noisy(0.3), "knn5_val_bank": noisy(0.5), "linear": noisy(0.2)}


def test_each_interval_holds_its_number_and_shrinks_as_the_test_set_grows():
    truth, predictions = _predictions(60)
    small = headline_intervals(truth, predictions, VIEWS, 5, resamples=300)
    assert set(small["intervals"]) == {"knn5_macro_f1", "knn5_val_bank_macro_f1", "linear_macro_f1"}
    assert small["bootstrap"]["videos"] == 60 and small["bootstrap"]["resamples"] == 300
    for metric, column in (("knn5_macro_f1", "knn5"), ("linear_macro_f1", "linear")):
        point = classification_metrics(truth, predictions[column], VIEWS.classes)["macro_f1"]
        low, high = small["intervals"][metric]
        assert low <= point <= high
    large = headline_intervals(*_predictions(600), VIEWS, 5, resamples=300)
    width = {name: high - low for name, (low, high) in small["intervals"].items()}
    assert all(high - low < width[name] / 2 for name, (low, high) in large["intervals"].items())


def test_ef_regression_gets_r2_and_mae_intervals_and_none_turns_them_off():
    rng = np.random.default_rng(1)
    truth = rng.uniform(20, 75, 50)
    predictions = {"linear": truth + rng.normal(0, 5, 50)}
    target = Target("ef", None)
    result = headline_intervals(truth, predictions, target, 20, resamples=200)
    low, high = result["intervals"]["linear_mae"]
    assert low <= float(np.mean(np.abs(truth - predictions["linear"]))) <= high
    assert set(result["intervals"]) == {"linear_r2", "linear_mae"}
    assert headline_intervals(truth, predictions, target, 20, resamples=0) == {}
