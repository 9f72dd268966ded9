"""The callbacks every run gets: best/last checkpoints, early stopping, learning-rate monitor."""

from __future__ import annotations

from pathlib import Path

from lightning.pytorch.callbacks import Callback, EarlyStopping, LearningRateMonitor, ModelCheckpoint

from echolab.callbacks.uncertainty_sampling import UncertaintySampling


def build_callbacks(cfg: dict, run_dir: Path) -> tuple[list[Callback], ModelCheckpoint]:
    checkpoint_cfg = cfg["callbacks"]["checkpoint"]
    checkpoint = ModelCheckpoint(
        dirpath=run_dir / "checkpoints",
        filename="best",
        monitor=checkpoint_cfg["monitor"],
        mode=checkpoint_cfg["mode"],
        save_last=True,
        auto_insert_metric_name=False,
    )
    callbacks: list[Callback] = [checkpoint, LearningRateMonitor(logging_interval="step")]
    stopping = cfg["callbacks"].get("early_stopping")
    if stopping:
        callbacks.append(
            EarlyStopping(monitor=stopping["monitor"], mode=stopping["mode"], patience=stopping["patience"])
        )
    if cfg.get("data", {}).get("sampler") == "uncertainty":
        callbacks.append(UncertaintySampling())  # feeds the sampler's segment bank after each batch
    return callbacks, checkpoint
