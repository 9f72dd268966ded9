"""Keyframe runs end to end: every keyframe experiment for one step, the run folder, evaluate, predict."""

import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from echolab.cli import main
from echolab.config import load_experiment
from echolab.predict import predict
from echolab.stats.run_scores import read_test_scores
from echolab.train import evaluate, train
from tests.fixture_writers import tiny_camus
from tests.run_words import smoke_words

# several evaluation batches, so the keyframe metrics count more than one video
SHORT_RUN = ["trainer.limit_train_batches=1", "trainer.limit_val_batches=2", "trainer.limit_test_batches=3"]
KEYFRAME_EXPERIMENTS = [
    "keyframe_synthetic",
    "resnet_vst_echonet",
    "resnet_lstm_echonet",
    "cnn3d_lstm_echonet",
    "resnet_vst_camus",
    "vit_keyframe_synthetic",
]


def overrides(tmp_path: Path, root: Path) -> list[str]:
    return smoke_words(root, tmp_path, *SHORT_RUN)


def run(exp: str, words: list[str]):
    return train(load_experiment(exp, words), words)


@pytest.fixture(scope="module")
def trained(tiny_echonet, tmp_path_factory):
    """One smoke step of keyframe_synthetic; its run folder."""
    tmp_path = tmp_path_factory.mktemp("kf-run")
    return run("keyframe_synthetic", overrides(tmp_path, tiny_echonet)).run_dir


@pytest.mark.parametrize("exp", KEYFRAME_EXPERIMENTS)
def test_every_keyframe_experiment_runs_one_step(exp, tiny_echonet, tmp_path):
    root = tiny_camus(tmp_path / "camus") if "camus" in exp else tiny_echonet
    metrics = json.loads((run(exp, overrides(tmp_path, root)).run_dir / "metrics.json").read_text())
    assert metrics["exp"] == exp and metrics["profile"] == "smoke"
    assert {"afd_ed", "afd_es", "afd_ed_ms", "detection_rate", "missed", "spurious"} <= set(metrics["test"])
    assert metrics["test"]["videos"] >= 1


def test_run_folder_holds_predictions_curves_and_plots(trained):
    metrics = json.loads((trained / "metrics.json").read_text())
    rows = list(csv.DictReader(open(trained / "predictions.csv")))
    assert list(rows[0]) == ["video", "fps", "frames", "true_ed", "true_es", "pred_ed", "pred_es"]
    assert len(rows) == metrics["test"]["videos"]
    curves = np.load(trained / "curves.npz")
    for row in rows:
        assert curves[row["video"]].shape == (int(row["frames"]), 2)
        assert curves[f"{row['video']}/target"].shape == (int(row["frames"]), 2)
        true_ed = [int(f) for f in row["true_ed"].split(";")]
        assert all(0 <= f < int(row["frames"]) for f in true_ed) and row["fps"] == "50"
    assert sorted(p.name for p in (trained / "plots").glob("curves_*.png")) == sorted(
        f"curves_{row['video']}.png" for row in rows
    )


def test_keyframe_test_metrics_have_intervals_from_the_saved_video_scores(trained):
    test = json.loads((trained / "metrics.json").read_text())["test"]
    rows, scores = read_test_scores(trained)
    assert len(rows) == test["videos"] == test["bootstrap"]["videos"]
    recomputed = scores(rows)
    for name in ("afd_ed", "afd_es", "afd_ed_ms", "detection_rate", "missed", "spurious"):
        if test[name] is None:  # NaN in memory, null in JSON: nothing was paired
            assert recomputed[name] is None and test["intervals"][name] is None
            continue
        assert recomputed[name] == pytest.approx(test[name]), name
        low, high = test["intervals"][name]
        assert low <= high, name


def test_evaluate_a_keyframe_checkpoint(trained, tiny_echonet, tmp_path):
    words = overrides(tmp_path, tiny_echonet)
    result = evaluate(
        load_experiment("keyframe_synthetic", words), trained / "checkpoints" / "best.ckpt", words
    )
    assert json.loads((result.run_dir / "metrics.json").read_text())["test"]["videos"] >= 1
    assert (result.run_dir / "predictions.csv").is_file()


def test_evaluate_uses_the_sliding_window_stride_the_experiment_lists(trained, tiny_echonet, tmp_path):
    from echolab.tasks.keyframe.datamodule import KeyframeDataModule
    from echolab.tasks.keyframe.module import KeyframeTask
    from echolab.tasks.keyframe.sliding_window import sliding_window_curves

    checkpoint = trained / "checkpoints" / "best.ckpt"
    words = [*overrides(tmp_path, tiny_echonet), "callbacks=[checkpoint,sliding_window]"]
    window = load_experiment("keyframe_synthetic", words).data.clip.frames
    strided = [*words, f"callbacks.sliding_window.stride={window}"]
    cfg = load_experiment("keyframe_synthetic", strided)
    result = evaluate(cfg, checkpoint, strided)

    datamodule = KeyframeDataModule(dict(cfg.data))
    datamodule.prepare_data()
    datamodule.setup("test")
    batch = next(iter(datamodule.test_dataloader()))
    model = KeyframeTask.load_from_checkpoint(checkpoint, map_location="cpu").model.eval()
    frames = int(batch["n_frames"])
    expected = sliding_window_curves(model, batch["video"], frames, window=window, stride=window)
    every_window = sliding_window_curves(model, batch["video"], frames, window=window)
    name = datamodule.records("test")[int(batch["index"])].name
    saved = np.load(result.run_dir / "curves.npz")[name]
    assert np.allclose(saved, expected.numpy(), atol=1e-6)
    assert not np.allclose(saved, every_window.numpy(), atol=1e-6)  # the stride changed the curves


def test_a_keyframe_stride_longer_than_a_window_or_spaced_validations_are_refused(
    trained, tiny_echonet, tmp_path
):
    from echolab.callbacks.sliding_window import SlidingWindowEvaluation
    from echolab.errors import ConfigError
    from echolab.tasks.keyframe.module import KeyframeTask

    module = KeyframeTask.load_from_checkpoint(trained / "checkpoints" / "best.ckpt", map_location="cpu")
    window = module.hparams.preprocess["clip"]["frames"]
    SlidingWindowEvaluation(stride=window).setup(None, module, "test")
    assert module.window_stride == window
    with pytest.raises(ConfigError, match=f"at most {window}"):
        SlidingWindowEvaluation(stride=window + 1).setup(None, module, "test")
    with pytest.raises(ConfigError, match="every_n_epochs=2"):
        SlidingWindowEvaluation(stride=2, every_n_epochs=2).setup(None, module, "fit")


def test_predict_prints_keyframes_for_a_long_and_a_short_video(trained, tiny_echonet, tmp_path, capsys):
    video = sorted((tiny_echonet / "Videos").glob("*.avi"))[0]
    short = tmp_path / "short"  # 5 frames, fewer than one window, no frame rate (a frame folder)
    short.mkdir()
    for number in range(5):
        cv2.imwrite(str(short / f"frame_{number:03d}.png"), np.full((40, 40, 3), 40 * number, np.uint8))
    out = tmp_path / "out" / "predictions.csv"
    with pytest.warns(UserWarning, match="frame rate .* unknown"):
        predict(
            trained / "checkpoints" / "best.ckpt",
            [str(video), str(short)],
            out=out,
            cache_dir=tmp_path / "cache",
        )
    printed = [
        line for line in capsys.readouterr().out.splitlines() if " ED [" in line
    ]  # not the progress bar
    assert printed[0].startswith(f"{video.name}  ED [") and " ES [" in printed[0]
    assert printed[1].startswith("short  ED [") and "frame rate unknown" in printed[1]
    rows = list(csv.DictReader(open(out)))
    assert [row["frames"] for row in rows][1] == "5" and rows[0]["fps"] == "50"
    assert np.load(out.with_name("predictions_curves.npz"))[str(short)].shape == (5, 2)


def test_a_keyframe_checkpoint_with_a_view_experiment_is_refused(trained, capsys):
    assert main(["evaluate", "exp=view_synthetic", f"ckpt={trained / 'checkpoints' / 'best.ckpt'}"]) == 2
    error = capsys.readouterr().err
    assert "is a keyframe checkpoint, but experiment view_synthetic is a view experiment" in error
