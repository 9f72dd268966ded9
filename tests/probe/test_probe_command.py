"""`echolab probe` and `echolab embed` end to end on tiny datasets (the raw-pixel arm; encoder arms in
test_encoder_arms.py)."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from echolab.cli import main
from tests.run_words import smoke_words


@pytest.fixture(scope="module")
def ef_echonet(tmp_path_factory) -> Path:
    """EchoNet layout, 12 videos with EFs spread over 20-75 % (both EF categories in every split)."""
    from echolab.data.synthetic import write_echonet

    root = tmp_path_factory.mktemp("probe") / "echonet"
    return write_echonet(
        root, videos=12, seed=0, fps=25.0, min_frames=32, max_frames=40, ef_range=(20, 75), progress=False
    )


def _overrides(root: Path, tmp_path: Path) -> list[str]:
    return smoke_words(root, tmp_path)


def _run_dir(tmp_path: Path, exp: str) -> Path:
    (run,) = (tmp_path / "runs" / "probe" / exp).iterdir()
    return run


def _rows(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_ef_category_probe_writes_a_run_folder(ef_echonet, tmp_path, capsys):
    words = [
        "features=pixels",
        "exp=resnet_vst_echonet",
        "probe.target=ef_category",
        *_overrides(ef_echonet, tmp_path),
    ]
    assert main(["probe", *words]) == 0
    run = _run_dir(tmp_path, "resnet_vst_echonet")
    assert sorted(p.name for p in run.iterdir()) == [
        "config.yaml",
        "metrics.json",
        "overrides.txt",
        "plots",
        "predictions.csv",
    ]
    assert (run / "plots" / "confusion_matrix.png").stat().st_size > 0
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert (
        config["arm"] == {"name": "pixels", "pixel_size": 16} and config["probe"]["target"] == "ef_category"
    )
    assert "features=pixels" in (run / "overrides.txt").read_text()

    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["classes"] == ["Abnormal", "Normal"] and sum(metrics["videos"].values()) == 12
    report = metrics["features"]["pixels"]
    assert set(report["knn"]) == {"train_bank", "val_bank"} and set(report["knn"]["train_bank"]) == {
        "k3",
        "k2",
    }
    knn = report["knn"]["train_bank"]["k3"]
    assert set(knn) == {"acc", "balanced_acc", "macro_f1", "per_class_f1", "confusion_matrix"}
    assert np.array(knn["confusion_matrix"]).sum() == metrics["videos"]["test"]
    assert report["linear"]["weight_decay"] in (0.01, 1.0) and set(report["linear"]["val_scores"]) == {
        "0.01",
        "1",
    }
    robustness = report["robustness"]
    assert robustness["clean_macro_f1"] == knn["macro_f1"] and set(robustness) >= {"speckle", "gain", "depth"}
    assert metrics["headline"]["knn3_macro_f1"] == knn["macro_f1"]
    low, high = metrics["intervals"]["knn3_macro_f1"]
    assert low <= knn["macro_f1"] <= high and metrics["bootstrap"]["videos"] == metrics["videos"]["test"]

    rows = _rows(run / "predictions.csv")
    assert len(rows) == metrics["videos"]["test"]
    assert list(rows[0]) == [
        "video", "label", "pixels:knn3", "pixels:knn2", "pixels:knn3_val_bank", "pixels:knn2_val_bank",
        "pixels:linear", "pixels:knn3_speckle", "pixels:knn3_gain", "pixels:knn3_depth",
    ]  # fmt: skip
    hits = sum(row["label"] == row["pixels:knn3"] for row in rows)
    assert hits / len(rows) == pytest.approx(knn["acc"])  # per-video rows resample to the reported numbers
    out = capsys.readouterr().out
    assert f"run folder   {run}" in out and "pixels kNN3 F1" in out and "ef_category, " in out


def test_ef_regression_probe_reports_r2_and_plots_ef(ef_echonet, tmp_path):
    words = [
        "features=pixels",
        "exp=resnet_vst_echonet",
        "probe.target=ef",
        *_overrides(ef_echonet, tmp_path),
    ]
    assert main(["probe", *words]) == 0
    run = _run_dir(tmp_path, "resnet_vst_echonet")
    metrics = json.loads((run / "metrics.json").read_text())
    report = metrics["features"]["pixels"]
    assert set(report) == {"linear"} and set(report["linear"]["test"]) == {"r2", "mae", "rmse"}
    assert metrics["classes"] is None and metrics["protocol"]["perturbations"] == []
    assert (run / "plots" / "ef_predicted_vs_true.png").is_file()
    rows = _rows(run / "predictions.csv")
    assert all(15 < float(row["label"]) < 80 for row in rows) and list(rows[0]) == [
        "video",
        "label",
        "pixels:linear",
    ]


def test_view_probe_on_nine_views(tiny_ev9v, tmp_path):
    words = [
        "features=pixels",
        "exp=view_synthetic",
        "probe.perturbations=[]",
        *_overrides(tiny_ev9v, tmp_path),
    ]
    assert main(["probe", *words]) == 0
    metrics = json.loads((_run_dir(tmp_path, "view_synthetic") / "metrics.json").read_text())
    knn = metrics["features"]["pixels"]["knn"]["train_bank"]["k3"]
    assert (
        len(metrics["classes"]) == 9
        and len(knn["per_class_f1"]) == 9
        and "robustness" not in metrics["features"]["pixels"]
    )


def test_embed_writes_every_video_once(ef_echonet, tmp_path, capsys):
    out = tmp_path / "emb" / "pixels.npz"
    words = ["features=pixels", "exp=resnet_vst_echonet", f"out={out}", *_overrides(ef_echonet, tmp_path)]
    assert main(["embed", *words]) == 0
    saved = np.load(out)
    assert set(saved.files) == {"name", "split", "label", "classes", "default", "ef", "ef_category", "pixels"}
    assert saved["pixels"].shape == (12, 512) and str(saved["default"]) == "pixels"
    assert len(set(saved["name"].tolist())) == 12 and set(saved["split"].tolist()) == {"train", "val", "test"}
    assert set(saved["label"].tolist()) == {"A4C"} and saved["classes"].tolist() == ["A4C"]
    assert [
        c == ("Abnormal" if ef < 50 else "Normal")
        for c, ef in zip(saved["ef_category"], saved["ef"], strict=True)
    ] == [True] * 12
    assert list(out.parent.iterdir()) == [out]  # no partial file left behind
    assert main(["embed", *words]) == 2
    assert "exists; choose another out=" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["probe", "exp=view_synthetic"], "name exactly one arm"),
        (["probe", "exp=view_synthetic", "features=pixels", "ckpt=random"], "name exactly one arm"),
        (["probe", "exp=view_synthetic", "features=hog"], "features=hog is unknown"),
        (["probe", "features=pixels"], "needs exp="),
        (["embed", "exp=view_synthetic", "features=pixels"], "needs out="),
        (["probe", "exp=view_synthetic", "features=pixels", "probe.k=[0]"], "probe.k must list"),
        (
            ["probe", "exp=view_synthetic", "ckpt=nowhere/last.ckpt"],
            "checkpoint nowhere/last.ckpt does not exist",
        ),
    ],
)
def test_wrong_words_are_one_clear_line(words, message, tmp_path, capsys):
    assert main([*words, f"run.root={tmp_path}"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
