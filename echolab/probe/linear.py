"""Linear probe: a linear model on standardised frozen features, its weight decay chosen on validation.

Features are standardised with the training split's mean and standard deviation, the latter floored at
1 % of its median over features: a feature all but constant in training (a raw pixel outside the fan)
would otherwise turn one slightly different validation video into an input of thousands. Classes: multinomial
logistic regression; EF: ridge regression. The weight decay `wd` is the L2 penalty on the mean loss
over the n training videos (mean loss + wd/2 |w|^2 for logistic regression, mean squared error + wd |w|^2
for ridge), i.e. scikit-learn's C = 1 / (n wd) and alpha = n wd. Each value of the grid is fitted on
train and scored on validation (macro-F1, or R² for EF); the best (ties: the larger decay) predicts test.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import f1_score, r2_score


@dataclass(frozen=True)
class LinearProbeResult:
    weight_decay: float  # the one chosen on validation
    val_scores: dict[float, float]  # validation macro-F1 (classes) or R² (EF) of every weight decay tried
    val_predicted: np.ndarray
    test_predicted: np.ndarray
    converged: bool  # False: the chosen logistic regression hit its iteration limit


def linear_probe(
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray],
    test_features: np.ndarray,
    *,
    weight_decays: list[float],
    classification: bool,
) -> LinearProbeResult:
    """Fit on `train` (features, targets) for each weight decay, choose on `val`, predict `test_features`."""
    if not weight_decays or min(weight_decays) <= 0:
        raise ValueError(f"the linear probe needs positive weight decays to choose from, got {weight_decays}")
    mean, scale = _standardisation(train[0])
    x_train, x_val, x_test = ((x - mean) / scale for x in (train[0], val[0], test_features))
    n = len(x_train)
    fitted = {}
    for wd in sorted(weight_decays, reverse=True):  # strongest first: it wins ties
        model, converged = _fit(x_train, train[1], wd, n, classification)
        predicted = model.predict(x_val)
        score = (
            f1_score(val[1], predicted, average="macro", zero_division=0.0)
            if classification
            else r2_score(val[1], predicted)
        )
        fitted[wd] = (float(score), model, predicted, converged)
    best = max(fitted, key=lambda wd: fitted[wd][0])  # max keeps the first (strongest) of equal scores
    score, model, val_predicted, converged = fitted[best]
    return LinearProbeResult(
        weight_decay=best,
        val_scores={wd: fitted[wd][0] for wd in sorted(fitted)},
        val_predicted=val_predicted,
        test_predicted=model.predict(x_test),
        converged=converged,
    )


def _standardisation(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The training split's per-feature mean, and standard deviation floored at 1 % of its median."""
    spread = features.std(0)
    floor = 0.01 * np.median(spread)
    return features.mean(0), np.maximum(spread, floor if floor > 0 else 1.0)


def _fit(x: np.ndarray, y: np.ndarray, wd: float, n: int, classification: bool):
    if not classification:
        return Ridge(alpha=n * wd).fit(x, y), True
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model = LogisticRegression(C=1.0 / (n * wd), max_iter=5000).fit(x, y)
    return model, not any(issubclass(w.category, ConvergenceWarning) for w in caught)
