"""`echolab predict` through a checkpoint and through its ONNX and TorchScript exports: the same labels,
probabilities and keyframes; and the docs' standalone script gives the same answer with onnxruntime only."""

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from echolab.cli import main
from echolab.export.exporter import export_checkpoint
from echolab.export.formats import FORMATS
from tests.export.checkpoints import keyframe_checkpoint, view_checkpoint

TOLERANCE = 1e-4
# The default view model (experiments/view_synthetic.yaml: TSM-ResNet10t with frame differences), read the
# STFM way (Re-EDL evidence, alpha-sum fusion), and the default keyframe model (ResNet+VST), both tiny.
VIEW_MODEL = {"name": "tsm", "backbone": "resnet10t", "frame_difference": True}
KEYFRAME_MODEL = {"name": "resnet_vst", "backbone": "resnet10t", "dim": 16, "heads": 2, "window": 4}
DOCS = Path(__file__).parents[2] / "docs" / "export.md"


@pytest.fixture(scope="module")
def videos(tiny_echonet, tmp_path_factory) -> list[str]:
    """Two synthetic echo videos and a 5-frame folder (shorter than one keyframe window and one view clip)."""
    short = tmp_path_factory.mktemp("short") / "short"
    short.mkdir()
    for number in range(5):
        cv2.imwrite(str(short / f"frame_{number:03d}.png"), np.full((40, 50, 3), 40 * number, np.uint8))
    return [str(path) for path in sorted((tiny_echonet / "Videos").glob("*.avi"))[:2]] + [str(short)]


def exported(make_checkpoint, model: dict, folder: Path) -> dict[str, Path]:
    """name -> what `predict ckpt=` gets: the checkpoint, and each format's `out=` name."""
    folder.mkdir()
    paths = {"checkpoint": make_checkpoint(folder / "best.ckpt", model)}
    for format_name, suffix in FORMATS.items():
        export_checkpoint(paths["checkpoint"], format_name, folder / f"best{suffix}")
        paths[format_name] = folder / f"best{suffix}"
    return paths


def predict_csv(ckpt: Path, videos: list[str], out: Path, capsys) -> tuple[list[dict], list[str]]:
    """The rows of predictions.csv and the printed answer lines."""
    assert (
        main(
            [
                "predict",
                f"ckpt={ckpt}",
                f"video=[{','.join(videos)}]",
                f"out={out}",
                f"cache_dir={out.parent / 'cache'}",
            ]
        )
        == 0
    )
    printed = [
        line
        for line in capsys.readouterr().out.splitlines()
        if line.startswith(tuple(Path(v).name for v in videos))
    ]
    return list(csv.DictReader(out.open())), printed


@pytest.fixture(scope="module")
def view_exports(tmp_path_factory) -> dict[str, Path]:
    model = VIEW_MODEL
    return exported(
        lambda path, m: view_checkpoint(path, m, loss="re_edl", fusion="alpha_sum"),
        model,
        tmp_path_factory.mktemp("view") / "run",
    )


@pytest.fixture(scope="module")
def keyframe_exports(tmp_path_factory) -> dict[str, Path]:
    return exported(keyframe_checkpoint, KEYFRAME_MODEL, tmp_path_factory.mktemp("keyframe") / "run")


def test_view_predictions_are_the_same_through_checkpoint_onnx_and_torchscript(
    view_exports, videos, tmp_path, capsys
):
    answers = {
        name: predict_csv(path, videos, tmp_path / f"{name}.csv", capsys)
        for name, path in view_exports.items()
    }
    rows, printed = answers.pop("checkpoint")
    assert len(rows) == 3 and len(printed) == 3
    probabilities = [c for c in rows[0] if c.startswith("p_")]
    for name, (exported_rows, exported_printed) in answers.items():
        assert [r["prediction"] for r in exported_rows] == [r["prediction"] for r in rows], name
        assert exported_printed == printed, name  # label, probability and uncertainty to 3 decimals
        for row, expected in zip(exported_rows, rows, strict=True):
            # The CSV holds 4 decimals: values within 1e-6 of each other round at most one unit apart.
            for column in [*probabilities, "uncertainty"]:
                assert abs(float(row[column]) - float(expected[column])) <= TOLERANCE + 1e-9, (name, column)


def test_predict_takes_the_sidecar_and_the_out_name_alike(view_exports, videos, tmp_path, capsys):
    onnx = view_exports["onnx"]
    by_model, _ = predict_csv(onnx, videos[:1], tmp_path / "model.csv", capsys)
    by_sidecar, _ = predict_csv(
        onnx.with_name("best.onnx.json"), videos[:1], tmp_path / "sidecar.csv", capsys
    )
    assert by_model == by_sidecar


@pytest.mark.filterwarnings("ignore:video 2. frame rate None is unknown")  # the frame folder has no rate
def test_keyframe_predictions_are_the_same_through_checkpoint_onnx_and_torchscript(
    keyframe_exports, videos, tmp_path, capsys
):
    answers = {}
    for name, path in keyframe_exports.items():
        out = tmp_path / f"{name}.csv"
        rows, printed = predict_csv(path, videos, out, capsys)
        answers[name] = rows, printed, np.load(out.with_name(f"{name}_curves.npz"))
    rows, printed, curves = answers.pop("checkpoint")
    assert [row["frames"] for row in rows][2] == "5"
    assert any(row["pred_ed"] or row["pred_es"] for row in rows)  # keyframes to compare, not only empty lists
    for name, (exported_rows, exported_printed, exported_curves) in answers.items():
        assert exported_rows == rows and exported_printed == printed, name
        for video in videos:
            assert np.abs(exported_curves[video] - curves[video]).max() <= TOLERANCE, (name, video)


def test_the_docs_standalone_script_answers_as_echolab_predict(view_exports, videos, tmp_path, capsys):
    script = re.search(r"```python\n(.*?)```", DOCS.read_text(), re.S).group(1)
    (tmp_path / "predict_view.py").write_text(script)
    video = videos[0]
    result = subprocess.run(
        [sys.executable, "predict_view.py", str(view_exports["onnx"].with_name("best.onnx.json")), video],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    answer = json.loads(result.stdout)
    rows, _ = predict_csv(view_exports["checkpoint"], [video], tmp_path / "echolab.csv", capsys)
    (row,) = rows
    assert answer["label"] == row["prediction"]
    expected = [float(row[c]) for c in row if c.startswith("p_")]
    assert (
        np.abs(np.array(answer["probabilities"]) - expected).max() <= TOLERANCE / 2 + 1e-9
    )  # CSV: 4 decimals
    assert abs(answer["uncertainty"] - float(row["uncertainty"])) <= TOLERANCE / 2 + 1e-9
