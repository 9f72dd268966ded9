"""Checkpoints of untrained tiny task modules, written as `echolab train` writes them (no training needed
to compare an exported model with its checkpoint)."""

from pathlib import Path

import lightning
import torch

from echolab.checkpoints import TASK_KEY
from echolab.tasks.keyframe.module import KeyframeTask
from echolab.tasks.view.module import ViewClassificationTask

CLASSES = ["PLHLA", "A4C", "SC4C"]
VIEW_PREPROCESS = {
    "size": 32,
    "clip": {"frames": 4, "stride": 2},
    "eval_clips": 3,
    "cache_size": 48,
    "placement": "centre",
    "eval_frames": 40,
}
KEYFRAME_PREPROCESS = {"size": 32, "cache_size": 40, "clip": {"frames": 8}, "sigma": 4.0, "labels": "all"}


def write_checkpoint(module: lightning.LightningModule, path: Path) -> Path:
    torch.save(
        {
            "state_dict": module.state_dict(),
            "hyper_parameters": dict(module.hparams),
            TASK_KEY: module.task_name,
            "pytorch-lightning_version": lightning.__version__,
        },
        path,
    )
    return path


def view_checkpoint(path: Path, model: dict, **task) -> Path:
    torch.manual_seed(0)
    module = ViewClassificationTask(
        model=model, classes=CLASSES, optim={}, preprocess=VIEW_PREPROCESS, **task
    )
    return write_checkpoint(module, path)


def keyframe_checkpoint(path: Path, model: dict) -> Path:
    torch.manual_seed(0)
    module = KeyframeTask(
        model=model,
        optim={},
        preprocess=KEYFRAME_PREPROCESS,
        peaks={"min_distance_s": 0.2, "prominence": 0.01},
    )
    return write_checkpoint(module, path)
