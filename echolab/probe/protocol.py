"""The probe protocol on one feature set: weighted kNN (two banks, every k), the linear probe, and the
robustness of the headline kNN to test-time perturbations.

kNN queries are always the test videos. The train bank is the default; DISCOVR's own runs use the
validation split as the bank (a smaller bank, and no tuning set left), reported beside it as
"val_bank". The robustness check uses the train bank and the first k, with perturbed test queries and
clean bank features, and reports each perturbation's macro-F1 and its drop relative to the clean one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from echolab.probe.knn import knn_predict
from echolab.probe.linear import linear_probe
from echolab.probe.metrics import classification_metrics, regression_metrics
from echolab.probe.targets import Target

BANKS = {"train_bank": "train", "val_bank": "val"}


@dataclass(frozen=True)
class ProbeOutcome:
    report: dict  # JSON-ready: knn, linear, robustness
    predictions: dict[str, np.ndarray]  # column name -> one prediction per test video


def run_protocol(
    split_features: dict[str, np.ndarray],
    split_values: dict[str, np.ndarray],
    target: Target,
    *,
    ks: list[int],
    temperature: float,
    weight_decays: list[float],
    perturbed_test: dict[str, np.ndarray] | None = None,
) -> ProbeOutcome:
    """`split_features` / `split_values`: per split (train, val, test), one row per video;
    `perturbed_test`: perturbation name -> the test features under it."""
    report: dict = {}
    predictions: dict[str, np.ndarray] = {}
    test = split_values["test"]
    if target.is_classification:
        report["knn"] = {}
        for bank_name, split in BANKS.items():
            report["knn"][bank_name] = {}
            for k in ks:
                predicted = _knn(
                    split_features[split], split_values[split], split_features["test"], k, temperature, target
                )
                report["knn"][bank_name][f"k{k}"] = classification_metrics(test, predicted, target.classes)
                predictions[f"knn{k}" + ("" if bank_name == "train_bank" else "_val_bank")] = predicted
    linear = linear_probe(
        (split_features["train"], split_values["train"]),
        (split_features["val"], split_values["val"]),
        split_features["test"],
        weight_decays=weight_decays,
        classification=target.is_classification,
    )
    judge = (
        (lambda truth, p: classification_metrics(truth, p, target.classes))
        if target.is_classification
        else regression_metrics
    )
    report["linear"] = {
        "weight_decay": linear.weight_decay,
        "val_scores": {f"{wd:g}": score for wd, score in linear.val_scores.items()},
        "converged": linear.converged,
        "val": judge(split_values["val"], linear.val_predicted),
        "test": judge(test, linear.test_predicted),
    }
    predictions["linear"] = linear.test_predicted
    if target.is_classification and perturbed_test:
        k = ks[0]
        clean = report["knn"]["train_bank"][f"k{k}"]["macro_f1"]
        report["robustness"] = {"k": k, "bank": "train", "clean_macro_f1": clean}
        for name, features in perturbed_test.items():
            predicted = _knn(split_features["train"], split_values["train"], features, k, temperature, target)
            f1 = classification_metrics(test, predicted, target.classes)["macro_f1"]
            report["robustness"][name] = {
                "macro_f1": f1,
                "relative_drop": (clean - f1) / clean if clean > 0 else None,
            }
            predictions[f"knn{k}_{name}"] = predicted
    return ProbeOutcome(report, predictions)


def _knn(bank, bank_values, queries, k, temperature, target: Target) -> np.ndarray:
    predicted, _ = knn_predict(
        bank, bank_values, queries, k=k, temperature=temperature, num_classes=len(target.classes)
    )
    return predicted
