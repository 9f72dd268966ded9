"""Fine-tuning from a pretraining checkpoint end to end: view and keyframe runs started with model.init,
and their checkpoints restored from the file alone once the pretraining checkpoint is gone."""

import json

import pytest
import torch

from echolab.cli import main
from echolab.config import load_experiment
from echolab.predict import load_task
from echolab.train import train
from tests.run_words import ONE_STEP, smoke_words
from tests.tasks.pretrain.tiny import save_checkpoint, tiny_task


@pytest.fixture
def pretrained(tmp_path):
    return save_checkpoint(tiny_task(), tmp_path / "pretraining" / "last.ckpt")


def _fine_tune(exp: str, root, tmp_path, *extra: str):
    words = smoke_words(root, tmp_path, *ONE_STEP, *extra)
    return train(load_experiment(exp, words), words)


@pytest.mark.parametrize("exp", ["vit_view_synthetic", "vit_keyframe_synthetic"])
def test_a_fine_tuned_checkpoint_restores_without_the_pretraining_one(
    exp, pretrained, tiny_ev9v, tiny_echonet, tmp_path
):
    root = tiny_ev9v if exp == "vit_view_synthetic" else tiny_echonet
    # the smoke encoder sees 4 frames: the keyframe window follows it
    extra = [f"model.init={pretrained}", *([] if exp == "vit_view_synthetic" else ["data.clip.frames=4"])]
    result = _fine_tune(exp, root, tmp_path, *extra)
    best = result.metrics["checkpoint"]
    saved = torch.load(best, weights_only=False)
    assert saved["hyper_parameters"]["model"]["init"] == str(pretrained)  # the run records where it started
    pretrained.rename(pretrained.with_name("moved.ckpt"))
    module = load_task(best)
    assert all(
        torch.equal(value, saved["state_dict"][f"model.{key}"])
        for key, value in module.model.state_dict().items()
    )
    assert main(["evaluate", f"ckpt={best}"]) == 0
    (evaluation,) = [run for run in (tmp_path / "runs" / exp).iterdir() if run != result.run_dir]
    tested = (json.loads((run / "metrics.json").read_text())["test"] for run in (evaluation, result.run_dir))
    assert next(tested) == next(tested)
