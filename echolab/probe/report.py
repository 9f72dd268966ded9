"""What a probe run writes besides metrics.json: predictions.csv, its plots, the summary's numbers."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from echolab.data.records import VideoRecord
from echolab.plots import plot_confusion_matrix, plot_predicted_vs_true
from echolab.probe.protocol import ProbeOutcome
from echolab.probe.settings import ProbeSettings
from echolab.probe.targets import Target


def write_predictions(
    path: Path,
    records: list[VideoRecord],
    truth: np.ndarray,
    target: Target,
    outcomes: dict[str, ProbeOutcome],
) -> Path:
    """One row per test video: its name, true label (or EF), and every probe's prediction as a column
    `<feature set>:<probe>` (knn20, knn20_val_bank, linear, knn20_speckle, ...), so per-video
    statistics (bootstrap intervals, paired comparisons between arms) can be computed from the file."""
    columns = [f"{key}:{name}" for key, outcome in outcomes.items() for name in outcome.predictions]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["video", "label", *columns])
        for row, record in enumerate(records):
            cells = [
                _shown(outcome.predictions[name][row], target)
                for outcome in outcomes.values()
                for name in outcome.predictions
            ]
            writer.writerow([record.name, _shown(truth[row], target), *cells])
    return path


def _shown(value, target: Target) -> str:
    return target.classes[int(value)] if target.is_classification else f"{float(value):.3f}"


def write_plots(
    folder: Path,
    truth: np.ndarray,
    target: Target,
    arm,
    outcomes: dict[str, ProbeOutcome],
    settings: ProbeSettings,
) -> None:
    """The headline feature set's test confusion matrix (kNN, train bank, first k), or for EF its linear
    probe's predicted vs true EF."""
    key = arm.feature_keys[0]
    report = outcomes[key].report
    if target.is_classification:
        k = settings.k[0]
        knn = report["knn"]["train_bank"][f"k{k}"]
        plot_confusion_matrix(
            knn["confusion_matrix"],
            target.classes,
            folder / "confusion_matrix.png",
            f"{key}: kNN k={k}, train bank, test macro-F1 {knn['macro_f1']:.3f}",
        )
    else:
        plot_predicted_vs_true(
            truth,
            outcomes[key].predictions["linear"],
            folder / "ef_predicted_vs_true.png",
            f"{key}: linear probe, test R² {report['linear']['test']['r2']:.3f}",
            unit="EF (%)",
        )


def headline(key: str, report: dict, target: Target, settings: ProbeSettings) -> dict:
    """The numbers that sum up the run: the headline feature set's kNN (train bank, first k) and linear probe."""
    if not target.is_classification:
        return {
            "feature": key,
            "linear_r2": report["linear"]["test"]["r2"],
            "linear_mae": report["linear"]["test"]["mae"],
        }
    k = settings.k[0]
    out = {
        "feature": key,
        f"knn{k}_macro_f1": report["knn"]["train_bank"][f"k{k}"]["macro_f1"],
        f"knn{k}_val_bank_macro_f1": report["knn"]["val_bank"][f"k{k}"]["macro_f1"],
        "linear_macro_f1": report["linear"]["test"]["macro_f1"],
    }
    for name, value in report.get("robustness", {}).items():
        if isinstance(value, dict):
            out[f"{name}_relative_drop"] = value["relative_drop"]
    return out


def summary_lines(
    outcomes: dict[str, ProbeOutcome], target: Target, settings: ProbeSettings, intervals: dict
) -> dict[str, float | tuple | None]:
    """Per feature set: test macro-F1 of kNN (train bank, first k) and of the linear probe, and the
    robustness drops; for EF, the linear probe's R² and mean absolute error. The headline feature set
    (the first) shows its 95 % intervals (`intervals`, probe/intervals.py) beside its numbers."""
    lines: dict[str, float | tuple | None] = {}
    k = settings.k[0]
    for position, (key, outcome) in enumerate(outcomes.items()):
        report = outcome.report
        if target.is_classification:
            shown = {
                f"knn{k}_macro_f1": (f"{key} kNN{k} F1", report["knn"]["train_bank"][f"k{k}"]["macro_f1"]),
                "linear_macro_f1": (f"{key} linear F1", report["linear"]["test"]["macro_f1"]),
            }
        else:
            shown = {
                "linear_r2": (f"{key} linear R²", report["linear"]["test"]["r2"]),
                "linear_mae": (f"{key} linear MAE", report["linear"]["test"]["mae"]),
            }
        for metric, (line, value) in shown.items():
            interval = intervals.get(metric) if position == 0 else None
            lines[line] = (value, interval) if interval is not None else value
        for name, value in report.get("robustness", {}).items():
            if isinstance(value, dict):
                lines[f"{key} {name} drop"] = value["relative_drop"]
    return lines
