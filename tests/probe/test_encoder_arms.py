"""The encoder arms: a pretraining checkpoint's teacher and student, and a random-init encoder of the
same experiment, through the same probes as raw pixels."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from echolab.cli import main
from echolab.config import to_plain
from echolab.data.clips import ClipSpec
from echolab.data.records import VideoRecord
from echolab.errors import EcholabError
from echolab.io.cache import FrameCache
from echolab.probe.arms import checkpoint_arm, random_arm
from echolab.probe.command import load_probe_experiment
from echolab.probe.features import encoder_features
from echolab.tasks.pretrain.datamodule import eval_transform
from tests.fixture_writers import write_video
from tests.run_words import smoke_words
from tests.tasks.pretrain.tiny import save_checkpoint, tiny_task


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory) -> Path:
    """A discovr_synthetic smoke checkpoint whose student has moved away from its EMA teacher."""
    module = tiny_task()
    with torch.no_grad():
        for parameter in module.encoder.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
    return save_checkpoint(module, tmp_path_factory.mktemp("pretrained") / "pretrain.ckpt")


@pytest.fixture(scope="module")
def ef_echonet(tmp_path_factory) -> Path:
    from echolab.data.synthetic import write_echonet

    root = tmp_path_factory.mktemp("probe") / "echonet"
    return write_echonet(
        root, videos=12, seed=0, fps=25.0, min_frames=32, max_frames=40, ef_range=(20, 75), progress=False
    )


def _cfg(*overrides: str) -> dict:
    return to_plain(load_probe_experiment("discovr_synthetic", ["profile=smoke", *overrides]))


def test_checkpoint_features_are_the_mean_over_clips_of_each_encoders_tokens(pretrained, tmp_path):
    arm = checkpoint_arm(pretrained, _cfg("probe.clips=3"))
    assert arm.feature_keys == [
        "teacher/cls",
        "teacher/mean",
        "student/cls",
        "student/mean",
        "image_teacher/cls",
        "image_teacher/mean",
    ]
    records = [
        VideoRecord(
            name=f"v{i}", path=write_video(tmp_path / f"v{i}.avi", n_frames=9 + i), split="test", label=0
        )
        for i in range(3)
    ]
    cache = FrameCache(tmp_path / "cache", size=arm.cache_size)
    arm.batch_size = 2  # 3 videos in batches of 2: the last, short batch is kept
    features = arm.features(records, cache, desc="test")
    assert {key: value.shape for key, value in features.items()} == dict.fromkeys(arm.feature_keys, (3, 24))
    # by hand: video 1's three evenly spread clips through the teacher, CLS and mean token averaged
    transform, spec = eval_transform(arm.preprocess), ClipSpec(**arm.preprocess["clip"])
    frames = cache.frames(records[1].path)
    starts = np.round(np.linspace(0, len(frames) - spec.span, 3)).astype(int)
    clips = torch.stack([transform(np.asarray(frames[s : s + spec.span : spec.stride])) for s in starts])
    with torch.no_grad():
        tokens = arm.encoders["teacher"](clips)
    assert features["teacher/cls"][1] == pytest.approx(tokens[:, 0].mean(0).numpy(), abs=1e-5)
    assert features["teacher/mean"][1] == pytest.approx(tokens[:, 1:].mean((0, 1)).numpy(), abs=1e-5)
    assert not np.allclose(features["teacher/cls"], features["student/cls"])


def test_encoders_are_given_back_in_the_mode_they_came_in(pretrained, tmp_path):
    arm = checkpoint_arm(pretrained, _cfg())
    arm.encoders["student"].train()
    record = VideoRecord(name="v", path=write_video(tmp_path / "v.avi"), split="test", label=0)
    encoder_features(
        arm.encoders,
        [record],
        FrameCache(tmp_path / "c", size=32),
        spec=ClipSpec(4, 2),
        transform=eval_transform(arm.preprocess),
    )
    assert arm.encoders["student"].training and not arm.encoders["teacher"].training


def test_random_arm_is_the_experiments_encoder_drawn_with_its_seed(pretrained):
    first, again, other = random_arm(_cfg()), random_arm(_cfg()), random_arm(_cfg("seed=1"))
    weights = [dict(arm.encoders["random"].state_dict()) for arm in (first, again, other)]
    trained = torch.load(pretrained, weights_only=False)["state_dict"]
    teacher = {k.removeprefix("encoder_ema."): v for k, v in trained.items() if k.startswith("encoder_ema.")}
    assert {k: v.shape for k, v in weights[0].items()} == {k: v.shape for k, v in teacher.items()}
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    assert not torch.equal(weights[0]["embed.weight"], weights[2]["embed.weight"])
    assert first.preprocess == checkpoint_arm(pretrained, _cfg()).preprocess
    with pytest.raises(EcholabError, match="ckpt=random builds the encoder of a pretraining experiment"):
        random_arm(to_plain(load_probe_experiment("view_synthetic", ["profile=smoke"])))


def test_the_headline_token_of_a_run_that_never_trained_its_cls_is_the_mean_token(tmp_path):
    """VideoMAE and JEPA read only patch tokens: their CLS output is untrained, so their headline is the
    mean patch token; DISCOVR's video DINO trains the CLS."""
    videomae = save_checkpoint(tiny_task("videomae_synthetic"), tmp_path / "videomae.ckpt")
    assert checkpoint_arm(videomae, _cfg()).feature_keys == [
        "teacher/mean",
        "teacher/cls",
        "student/mean",
        "student/cls",
    ]
    no_video_dino = save_checkpoint(
        tiny_task("discovr_synthetic", "task.weights.video_dino=0"), tmp_path / "d.ckpt"
    )
    assert checkpoint_arm(no_video_dino, _cfg()).feature_keys[0] == "teacher/mean"


def test_probe_of_a_checkpoint_reports_teacher_and_student(pretrained, ef_echonet, tmp_path, capsys):
    words = [
        f"ckpt={pretrained}",
        "exp=discovr_synthetic",
        "probe.target=ef_category",
        *smoke_words(ef_echonet, tmp_path),
    ]
    assert main(["probe", *words]) == 0
    (run,) = (tmp_path / "runs" / "probe" / "discovr_synthetic").iterdir()
    metrics = json.loads((run / "metrics.json").read_text())
    assert list(metrics["features"])[:4] == ["teacher/cls", "teacher/mean", "student/cls", "student/mean"]
    assert list(metrics["features"])[4:] == ["image_teacher/cls", "image_teacher/mean"]
    assert metrics["headline"]["feature"] == "teacher/cls" and metrics["arm"]["checkpoint"] == str(pretrained)
    assert metrics["arm"]["preprocess"]["cache_size"] == 32
    assert all(set(report) == {"knn", "linear", "robustness"} for report in metrics["features"].values())
    out = capsys.readouterr().out
    assert "teacher/cls kNN3 F1" in out and "student/mean linear F1" in out


def test_random_init_probe_runs_through_the_same_command_and_repeats_exactly(ef_echonet, tmp_path):
    words = [
        "ckpt=random",
        "exp=discovr_synthetic",
        "probe.target=ef",
        *smoke_words(ef_echonet, tmp_path),
    ]
    assert main(["probe", *words]) == 0 and main(["probe", *words]) == 0
    first, second = (
        json.loads((run / "metrics.json").read_text())
        for run in sorted((tmp_path / "runs" / "probe" / "discovr_synthetic").iterdir())
    )
    assert list(first["features"]) == ["random/cls", "random/mean"] and first["arm"]["checkpoint"] is None
    assert first["features"] == second["features"]  # seeded: the same encoder, the same numbers


def test_an_echonet_pretrained_checkpoint_probes_the_nine_views(pretrained, tiny_ev9v, tmp_path):
    """Any dataset with any checkpoint: the frames are decoded at the checkpoint's size."""
    words = [
        f"ckpt={pretrained}",
        "exp=view_synthetic",
        "probe.perturbations=[]",
        *smoke_words(tiny_ev9v, tmp_path),
    ]
    assert main(["probe", *words]) == 0
    (run,) = (tmp_path / "runs" / "probe" / "view_synthetic").iterdir()
    metrics = json.loads((run / "metrics.json").read_text())
    assert len(metrics["classes"]) == 9 and metrics["videos"] == {"train": 27, "val": 9, "test": 9}
    assert len(metrics["features"]["teacher/cls"]["knn"]["train_bank"]["k3"]["per_class_f1"]) == 9
