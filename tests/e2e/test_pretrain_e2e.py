"""Pretraining end to end: every pretraining experiment for one step, the run folder, evaluate, predict's
refusal, the encoder loader on a trained checkpoint, and seeded runs that repeat exactly."""

import json
from pathlib import Path

import pytest
import torch

from echolab.config import load_experiment
from echolab.errors import EcholabError
from echolab.models.pretrain.load import load_encoder
from echolab.predict import predict
from echolab.train import evaluate, train
from tests.run_words import ONE_STEP, smoke_words

PRETRAIN_EXPERIMENTS = ["discovr_synthetic", "videomae_synthetic", "jepa_synthetic", "discovr_echonet"]
# The DISCOVR ablations of docs/pretraining.md, as overrides of discovr_synthetic (keep the two in step).
ABLATIONS = {
    "no_cluster": ["task.weights.cluster=0", "task.weights.cluster_reverse=0"],
    "one_way_cluster": ["task.weights.cluster_reverse=0"],
    "no_video_dino": ["task.weights.video_dino=0"],
    "image_dino_only": [
        "task.weights.cluster=0",
        "task.weights.cluster_reverse=0",
        "task.weights.video_dino=0",
    ],
}


def overrides(tmp_path: Path, root: Path, *extra: str) -> list[str]:
    return smoke_words(root, tmp_path, *ONE_STEP, *extra)


def run(exp: str, words: list[str]):
    return train(load_experiment(exp, words), words)


@pytest.fixture(scope="module")
def trained(tiny_echonet, tmp_path_factory):
    """One smoke step of discovr_synthetic; its run folder."""
    return run("discovr_synthetic", overrides(tmp_path_factory.mktemp("pretrain"), tiny_echonet)).run_dir


@pytest.mark.parametrize("exp", PRETRAIN_EXPERIMENTS)
def test_every_pretraining_experiment_runs_one_step(exp, tiny_echonet, tmp_path):
    # one step is far too short for any EMA schedule: the run says so (pyproject filters it elsewhere)
    with pytest.warns(UserWarning, match="task.ema: over this run's 1 steps the EMA teachers"):
        result = run(exp, overrides(tmp_path, tiny_echonet))
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert metrics["exp"] == exp and metrics["profile"] == "smoke"
    for split in ("val", "test"):
        assert metrics[split]["loss"] > 0


@pytest.mark.parametrize("ablation", ABLATIONS)
def test_every_ablation_runs_one_step(ablation, tiny_echonet, tmp_path):
    metrics = run("discovr_synthetic", overrides(tmp_path, tiny_echonet, *ABLATIONS[ablation])).metrics
    dropped = {word.split("=")[0].removeprefix("task.weights.") for word in ABLATIONS[ablation]}
    assert not dropped & set(metrics["val"]) and metrics["val"]["image_dino"] > 0


def test_run_folder_holds_checkpoints_terms_and_plots(trained):
    metrics = json.loads((trained / "metrics.json").read_text())
    terms = {"loss", "cluster", "cluster_reverse", "image_dino", "video_dino"}
    monitors = {"prototypes_used", "image_teacher_entropy", "video_teacher_entropy"}
    assert terms | monitors <= set(metrics["val"])
    assert 1 <= metrics["val"]["prototypes_used"] <= 16  # task.cluster.prototypes at profile=smoke
    total = sum(metrics["val"][term] for term in terms - {"loss"})  # all weights are 1
    assert metrics["val"]["loss"] == pytest.approx(total, rel=1e-5)
    assert {p.name for p in (trained / "checkpoints").iterdir()} == {"best.ckpt", "last.ckpt"}
    plots = {p.name for p in (trained / "plots").iterdir()}
    assert {"loss_terms.png", "prototypes_used.png", "image_teacher_entropy.png"} <= plots
    assert (trained / "config.yaml").is_file()


def test_evaluate_a_pretraining_checkpoint(trained, tiny_echonet, tmp_path):
    words = overrides(tmp_path, tiny_echonet)
    result = evaluate(
        load_experiment("discovr_synthetic", words), trained / "checkpoints" / "best.ckpt", words
    )
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    fitted = json.loads((trained / "metrics.json").read_text())
    assert metrics["test"]["loss"] == pytest.approx(fitted["test"]["loss"], rel=1e-5)


def test_predict_refuses_a_pretraining_checkpoint_and_names_embed(trained, tiny_echonet, tmp_path):
    video = next((tiny_echonet / "Videos").glob("*.avi"))
    with pytest.raises(EcholabError, match="use `echolab embed ckpt=PATH"):
        predict(trained / "checkpoints" / "best.ckpt", str(video), out=tmp_path / "p.csv", cache_dir=tmp_path)


def test_export_refuses_a_pretraining_checkpoint(trained, tmp_path):
    from echolab.export.exporter import export_checkpoint

    with pytest.raises(EcholabError, match="is a pretrain checkpoint, which holds no predicting model"):
        export_checkpoint(trained / "checkpoints" / "best.ckpt", "onnx", tmp_path / "model.onnx")


def test_the_encoder_of_a_trained_checkpoint_loads(trained):
    teacher, preprocess = load_encoder(trained / "checkpoints" / "last.ckpt")
    student, _ = load_encoder(trained / "checkpoints" / "last.ckpt", which="student")
    clips = torch.randn(1, 3, preprocess["clip"]["frames"], preprocess["size"], preprocess["size"])
    with torch.no_grad():
        assert teacher.features(clips)["cls"].shape == (1, teacher.dim)
        assert not torch.equal(teacher(clips), student(clips))  # one step moved the student off its teacher


def test_a_seeded_pretraining_run_repeats_exactly(tiny_echonet, tmp_path):
    first, second = (
        run("discovr_synthetic", overrides(tmp_path / name, tiny_echonet, "trainer.limit_train_batches=2"))
        for name in ("a", "b")
    )
    assert first.metrics["val"] == second.metrics["val"] and first.metrics["test"] == second.metrics["test"]
    weights = [
        torch.load(r.run_dir / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
        for r in (first, second)
    ]
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
