"""The bar table and its paired gains are computed from probe run folders alone (echolab/probe/bar.py)."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import pytest

from echolab.probe.bar import bar_table, knn_rows, macro_f1, paired_gain

VIDEOS = [f"v{i}" for i in range(8)]
LABELS = ["Abnormal"] * 4 + ["Normal"] * 4


def write_probe(folder, feature: str, predicted: list[str], *, r2: float | None = None) -> str:
    """A probe run folder as `echolab probe` writes it (the keys bar.py reads)."""
    folder.mkdir(parents=True)
    truth = {"Abnormal": 0, "Normal": 1}
    rows = [(v, lab, p) for v, lab, p in zip(VIDEOS, LABELS, predicted, strict=True)]
    f1 = macro_f1([{"label": lab, "predicted": p} for _, lab, p in rows])["macro_f1"]
    assert {truth[p] for p in predicted} <= {0, 1}
    if r2 is not None:
        headline = {"feature": feature, "linear_r2": r2}
        features = {feature: {"linear": {"test": {"r2": r2}}}}
    else:
        headline = {"feature": feature, "knn20_macro_f1": f1, "linear_macro_f1": 0.5}
        knn = {"train_bank": {"k20": {"macro_f1": f1}}}
        features = {
            feature: {
                "knn": knn,
                "linear": {"test": {"macro_f1": 0.5}},
                "robustness": {"speckle": {"relative_drop": 0.1}},
            },
            feature.replace("/cls", "/mean"): {"knn": {"train_bank": {"k20": {"macro_f1": 0.25}}}},
            "student/cls": {"knn": {"train_bank": {"k20": {"macro_f1": 0.75}}}},
            "other/cls": {
                "knn": {"train_bank": {"k20": {"macro_f1": 1 / 3}}},
                "linear": {"test": {"macro_f1": 0.0}},
            },
        }
    (folder / "metrics.json").write_text(json.dumps({"headline": headline, "features": features}))
    with open(folder / "predictions.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["video", "label", f"{feature}:knn20", "other/cls:knn20"])  # other/cls: all Normal
        writer.writerows(row + ("Normal",) for row in rows)
    return str(folder)


def test_the_table_gives_mean_and_sd_over_seeds_and_the_gain_is_paired(tmp_path):
    right = LABELS
    three_wrong = ["Normal"] * 3 + LABELS[3:]
    manifest = {
        "arms": {
            "DISCOVR": {
                "0": {"ef_category": write_probe(tmp_path / "d0", "teacher/cls", right)},
                "1": {
                    "ef_category": write_probe(tmp_path / "d1", "teacher/cls", right),
                    "ef": write_probe(tmp_path / "d1ef", "teacher/cls", right, r2=0.4),
                },
            },
            "random init": {
                "0": {"ef_category": write_probe(tmp_path / "r0", "random/cls", three_wrong)},
                "1": {"ef_category": write_probe(tmp_path / "r1", "random/cls", three_wrong)},
            },
        }
    }
    random_f1 = macro_f1([{"label": t, "predicted": p} for t, p in zip(LABELS, three_wrong, strict=True)])
    assert random_f1["macro_f1"] == pytest.approx(
        (2 / 5 + 8 / 11) / 2
    )  # Abnormal 1 of 4 found, Normal 3 false

    table = bar_table(manifest).splitlines()
    assert table[2].startswith(
        "| DISCOVR | `teacher/cls` | 2 | 1.000 ± 0.000 | 0.250 ± 0.000 | 0.750 ± 0.000 | 0.500 ± 0.000 | 0.400 |"
    )
    assert table[3].startswith(f"| random init | `random/cls` | 2 | {random_f1['macro_f1']:.3f} ± 0.000 |")

    gain = paired_gain(manifest, "DISCOVR", "random init", resamples=200)
    assert gain["difference"] == pytest.approx(1 - random_f1["macro_f1"])
    assert gain["per_seed"] == pytest.approx({"0": 1 - random_f1["macro_f1"], "1": 1 - random_f1["macro_f1"]})
    low, high = gain["interval"]
    assert 0 < low <= gain["difference"] <= high


def test_knn_rows_read_the_headline_feature_column_or_the_one_named(tmp_path):
    folder = write_probe(tmp_path / "p", "pixels", LABELS)
    rows = knn_rows(folder)
    assert [r["video"] for r in rows] == VIDEOS
    assert [r["predicted"] for r in rows] == LABELS
    assert {r["predicted"] for r in knn_rows(folder, "other/cls")} == {"Normal"}


def test_an_arm_is_scored_on_the_feature_set_the_manifest_names(tmp_path):
    manifest = {
        "arms": {
            "image DINO only": {"0": {"ef_category": write_probe(tmp_path / "i0", "teacher/cls", LABELS)}}
        },
        "features": {"image DINO only": "other/cls"},
    }
    row = bar_table(manifest).splitlines()[2]
    assert row.startswith("| image DINO only | `other/cls` | 1 | 0.333 | – | – | 0.000 |")  # no other/mean


def test_a_gain_can_compare_named_feature_sets(tmp_path):
    manifest = {
        "arms": {
            "DISCOVR": {"0": {"ef_category": write_probe(tmp_path / "d0", "teacher/cls", LABELS)}},
            "random init": {"0": {"ef_category": write_probe(tmp_path / "r0", "random/cls", LABELS)}},
        }
    }
    same = paired_gain(manifest, "DISCOVR", "random init", resamples=50)
    assert same["difference"] == 0.0
    other = paired_gain(
        manifest, "DISCOVR", "random init", resamples=50, features=("other/cls", "random/cls")
    )
    assert other["difference"] == pytest.approx(1 / 3 - 1)  # all Normal against every video right


def test_the_bar_script_merges_the_manifests_of_runs_made_at_once(tmp_path):
    """scripts/pretrain_bar.py: two invocations on one --out each add their own runs, losing none."""
    spec = importlib.util.spec_from_file_location(
        "pretrain_bar", Path(__file__).parents[2] / "scripts" / "pretrain_bar.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    path = tmp_path / "manifest.json"
    first = {"arms": {"raw pixels": {"0": {"ef_category": "a"}}}, "features": {}}
    second = {
        "arms": {"DISCOVR": {"0": {"train": "t"}}},
        "features": {"image DINO only": "image_teacher/cls"},
    }
    script.save(path, first)
    script.save(path, second)
    first["arms"]["raw pixels"]["0"]["ef"] = "b"
    script.save(path, first)
    assert json.loads(path.read_text())["arms"] == {
        "raw pixels": {"0": {"ef_category": "a", "ef": "b"}},
        "DISCOVR": {"0": {"train": "t"}},
    }
    assert json.loads(path.read_text())["features"] == {"image DINO only": "image_teacher/cls"}
