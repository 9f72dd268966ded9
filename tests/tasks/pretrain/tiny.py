"""Tiny pretraining modules and checkpoints for the tests: the smoke sizes of the experiments' own YAML."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch

from echolab.config import load_experiment, to_plain
from echolab.tasks.pretrain.module import PretrainTask


def tiny_config(exp: str = "discovr_synthetic", *overrides: str) -> dict:
    """The plain config of `exp` at profile=smoke (4 frames of 32 px, an encoder of width 24)."""
    return to_plain(load_experiment(exp, ["profile=smoke", *overrides]))


def tiny_task(exp: str = "discovr_synthetic", *overrides: str, seed: int = 0) -> PretrainTask:
    torch.manual_seed(seed)
    return PretrainTask.from_config(tiny_config(exp, *overrides), datamodule=None)


def tiny_clips(batch: int = 2, seed: int = 1) -> torch.Tensor:
    return torch.randn(batch, 3, 4, 32, 32, generator=torch.Generator().manual_seed(seed))


def save_checkpoint(module: L.LightningModule, path: Path) -> Path:
    """A real Lightning checkpoint of `module` (its on_save_checkpoint hooks included), without training."""
    trainer = L.Trainer(logger=False, enable_checkpointing=False, accelerator="cpu", devices=1)
    trainer.strategy.connect(module)
    trainer.save_checkpoint(path)
    return path
