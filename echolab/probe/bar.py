"""The pretraining bar table (issue 13): every arm's EF-category probes over seeds, read from probe run folders.

A bar manifest (`manifest.json`, written by `scripts/pretrain_bar.py`) lists, per arm and seed, the
pretraining run folder (if the arm trains) and the probe run folders of each target:

    {"budget": {...}, "arms": {"DISCOVR": {"0": {"train": DIR, "ef_category": DIR, "ef": DIR}, ...}, ...},
     "features": {"image DINO only": "image_teacher/cls"}}

`features` names the feature set an arm is scored on where it is not the probe's headline (the EMA
teacher's CLS, or the random or pixel features): an image-DINO-only run trains only DISCOVR's image
teacher. From those folders alone this module makes the table (mean ± SD over seeds of the arm's feature set's
kNN and linear macro-F1, the EF R², the robustness drops, the training CPU seconds) and the paired
bootstrap differences between two arms on the EF-category kNN (every seed of both scored on the same
resampled test videos, `echolab.stats.bootstrap.paired_differences`).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from echolab.probe.metrics import classification_metrics
from echolab.stats.bootstrap import paired_differences

PERTURBATIONS = ("speckle", "gain", "depth")
EF_CLASSES = ["Abnormal", "Normal"]


def probe_metrics(run_dir: str | Path) -> dict:
    return json.loads((Path(run_dir) / "metrics.json").read_text())


def knn_rows(run_dir: str | Path, feature: str | None = None, column: str = "knn20") -> list[dict]:
    """One row per test video of a probe run: `video`, `label` and the prediction of `feature` (default:
    the headline feature set) in `column` (e.g. knn20, linear)."""
    feature = feature or probe_metrics(run_dir)["headline"]["feature"]
    with open(Path(run_dir) / "predictions.csv", newline="") as handle:
        return [
            {"video": row["video"], "label": row["label"], "predicted": row[f"{feature}:{column}"]}
            for row in csv.DictReader(handle)
        ]


def macro_f1(rows: list[dict]) -> dict[str, float]:
    """The EF-category macro-F1 of rows from `knn_rows` (a bootstrap metrics_fn)."""
    index = {name: i for i, name in enumerate(EF_CLASSES)}
    truth = np.array([index[row["label"]] for row in rows])
    predicted = np.array([index[row["predicted"]] for row in rows])
    return {"macro_f1": classification_metrics(truth, predicted, EF_CLASSES)["macro_f1"]}


def arm_scores(seeds: dict[str, dict], feature: str | None = None) -> dict[str, list[float]]:
    """Per measured quantity, one value per seed (in seed order) of one arm's manifest entry, on
    `feature` (default: each probe's headline feature set)."""
    scores: dict[str, list[float]] = {}

    def add(name: str, value) -> None:
        if value is not None:
            scores.setdefault(name, []).append(float(value))

    for _, runs in sorted(seeds.items(), key=lambda item: int(item[0])):
        if "ef_category" in runs:
            metrics = probe_metrics(runs["ef_category"])
            key = feature or metrics["headline"]["feature"]
            report = metrics["features"][key]
            add("knn", report["knn"]["train_bank"]["k20"]["macro_f1"])
            add("knn_other_token", _other_token_knn(metrics, key))
            student = (
                metrics["features"].get(key.replace("teacher/", "student/"))
                if key.startswith("teacher/")
                else None
            )
            add("student_knn", None if student is None else student["knn"]["train_bank"]["k20"]["macro_f1"])
            add("linear", report["linear"]["test"]["macro_f1"])
            robustness = report.get("robustness", {})
            for kind in PERTURBATIONS:
                if isinstance(robustness.get(kind), dict):
                    add(f"{kind}_drop", robustness[kind]["relative_drop"])
        if "ef" in runs:
            metrics = probe_metrics(runs["ef"])
            key = feature or metrics["headline"]["feature"]
            add("ef_r2", metrics["features"][key]["linear"]["test"]["r2"])
        if "train" in runs:
            train = json.loads((Path(runs["train"]) / "metrics.json").read_text())
            add("train_cpu_s", train.get("fit_cpu_seconds"))
    return scores


def _other_token_knn(metrics: dict, feature: str) -> float | None:
    """kNN20 macro-F1 of the same encoder's other token (the mean patch token beside a CLS, and the
    reverse); None for the pixel features."""
    stem, _, token = feature.rpartition("/")
    other = metrics["features"].get(f"{stem}/{'mean' if token == 'cls' else 'cls'}") if stem else None
    return None if other is None else other["knn"]["train_bank"]["k20"]["macro_f1"]


def arm_feature_name(seeds: dict[str, dict], feature: str | None) -> str:
    """The feature set an arm is scored on, as its first probe names it."""
    for runs in seeds.values():
        if "ef_category" in runs:
            return feature or probe_metrics(runs["ef_category"])["headline"]["feature"]
    return feature or "–"


COLUMNS = (
    ("knn", "EF-cat kNN20 F1"),
    ("knn_other_token", "kNN20 F1 (other token)"),
    ("student_knn", "student kNN20 F1"),
    ("linear", "EF-cat linear F1"),
    ("ef_r2", "EF R² (linear)"),
    ("speckle_drop", "speckle drop"),
    ("gain_drop", "gain drop"),
    ("depth_drop", "depth drop"),
    ("train_cpu_s", "train CPU s"),
)


def mean_sd(values: list[float], digits: int = 3) -> str:
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{np.mean(values):.{digits}f} ± {np.std(values, ddof=1):.{digits}f}"


def bar_table(manifest: dict) -> str:
    """The markdown table: one row per arm, mean ± SD over its seeds (SD with n − 1)."""
    header = "| arm | feature | seeds | " + " | ".join(title for _, title in COLUMNS) + " |"
    lines = [header, "|" + "---|" * (len(COLUMNS) + 3)]
    for arm, seeds in manifest["arms"].items():
        feature = arm_feature(manifest, arm)
        scores = arm_scores(seeds, feature)
        cells = [mean_sd(scores.get(key, []), 0 if key == "train_cpu_s" else 3) for key, _ in COLUMNS]
        name = arm_feature_name(seeds, feature)
        lines.append(f"| {arm} | `{name}` | {len(seeds)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def arm_feature(manifest: dict, arm: str) -> str | None:
    return manifest.get("features", {}).get(arm)


def paired_gain(
    manifest: dict,
    system: str,
    reference: str,
    resamples: int = 1000,
    features: tuple[str | None, str | None] = (None, None),
) -> dict:
    """`system` − `reference` on the EF-category kNN20 macro-F1: the difference of the seed means, its
    paired bootstrap 95 % interval over test videos, and the per-seed differences (seeds both arms have).
    `features`: the feature set of each side (None: the arm's own, as in the table)."""
    arms = manifest["arms"]
    runs = {
        arm: {s: r["ef_category"] for s, r in arms[arm].items() if "ef_category" in r}
        for arm in (system, reference)
    }
    features = {arm: given or arm_feature(manifest, arm) for arm, given in zip(runs, features, strict=True)}
    paired = paired_differences(
        [knn_rows(d, features[system]) for d in runs[system].values()],
        [knn_rows(d, features[reference]) for d in runs[reference].values()],
        macro_f1,
        resamples=resamples,
    )["macro_f1"]
    per_seed = {
        seed: macro_f1(knn_rows(runs[system][seed], features[system]))["macro_f1"]
        - macro_f1(knn_rows(runs[reference][seed], features[reference]))["macro_f1"]
        for seed in sorted(runs[system], key=int)
        if seed in runs[reference]
    }
    return {"difference": paired["difference"], "interval": paired["interval"], "per_seed": per_seed}


def gain_lines(manifest: dict, pairs: list[tuple]) -> list[str]:
    """One markdown bullet per (system, reference[, system feature, reference feature]) pair whose arms
    are both in the manifest."""
    lines = []
    for system, reference, *features in pairs:
        if system not in manifest["arms"] or reference not in manifest["arms"]:
            continue
        features = tuple(features) or (None, None)
        gain = paired_gain(manifest, system, reference, features=features)
        low, high = gain["interval"] or (float("nan"), float("nan"))
        seeds = ", ".join(f"seed {s}: {d:+.3f}" for s, d in gain["per_seed"].items())
        named = "" if features == (None, None) else f" (`{features[0]}` vs `{features[1]}`)"
        lines.append(
            f"- {system} − {reference}{named}, EF-category kNN20 macro-F1: {gain['difference']:+.3f} "
            f"(paired bootstrap 95 % interval [{low:+.3f}, {high:+.3f}]; {seeds})"
        )
    return lines
